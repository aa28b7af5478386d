# Read where Kbuild includes it: before Kbuild tests CONFIG_P_INC.
CONFIG_P_INC := y
