// Compiled as if it were a file of room core, including a room core may use:
// the control for backwards_include.cpp (this one must build).
#include "core/executor.hpp"
#include "io/result_file.hpp"
