// A shared object whose only use is to be a seed for fuzz_elf: the build gives it a SONAME, a
// RUNPATH and the NEEDED entries of the C++ runtime, which is what the ELF reader looks at.
#include <string>

extern "C" int mlpack_fuzz_elf_seed(int n) { return static_cast<int>(std::to_string(n).size()); }
