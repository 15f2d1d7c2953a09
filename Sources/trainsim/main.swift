print("trainsim")
