/// trainsim's version: the one place it is written. `trainsim --version` prints `trainsim VERSION`.
enum Version {
    static let number = "0.1.0"
    static let line = "trainsim \(number)"
}
