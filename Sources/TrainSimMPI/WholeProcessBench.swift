import Foundation
import TrainSimCore

/// The whole `trainsim FILE` process, start to exit, on the 9,216-device MoE plan of `bench
/// timeline` with the analytical network (the timeline issue's goal: 10 ms or less, where SimAI's
/// analytical backend takes about 100 ms), beside `trainsim --version` (start-up alone) and
/// `/bin/true` (what starting any process costs here). Best of `repeats` wall times: a shared
/// machine only ever adds to them.
public enum WholeProcessBench {
    public static func run(binary: String, repeats: Int = 15) -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("trainsim-bench-moe-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        guard (try? Data(TimelineBench.moeExperimentText.utf8).write(to: file)) != nil else { return "  whole process: cannot write a temporary experiment\n" }
        func best(_ exe: String, _ args: [String]) -> Double? {
            var t = Double.infinity
            for _ in 0..<repeats {
                guard let r = wallSeconds(exe, args) else { return nil }
                t = min(t, r)
            }
            return t * 1e3
        }
        let ms = { (x: Double?) in x.map { String(format: "%.1f ms", $0) } ?? "failed" }
        let run = best(binary, [file.path])
        let goal = run.map { $0 <= 10 ? "met" : "NOT met" } ?? "not measured"
        return "  whole process (wall, best of \(repeats)): trainsim FILE on the 9,216-device MoE plan \(ms(run)) (goal <= 10 ms: \(goal)); "
            + "trainsim --version \(ms(best(binary, ["--version"]))); /bin/true \(ms(best("/bin/true", [])))\n"
    }

    /// Wall seconds of one run of `exe` with stdin, stdout and stderr on /dev/null, started with
    /// posix_spawn (Foundation's Process closes every possible descriptor first, about 50 ms
    /// here, which would drown what is measured); nil if it did not exit with 0.
    static func wallSeconds(_ exe: String, _ args: [String]) -> Double? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([exe] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var env = ProcessInfo.processInfo.environment
        for k in ["OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_SIZE"] { env[k] = nil }
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for e in envp { free(e) } }
        var pid = pid_t()
        let t0 = NetworkBench.now()
        guard posix_spawn(&pid, exe, &actions, nil, argv, envp) == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let seconds = NetworkBench.now() - t0
        return status == 0 ? seconds : nil
    }
}
