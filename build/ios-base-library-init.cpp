// Stands in for GCC 13's std::ios_base_library_init() on systems whose libstdc++ (GCC 12, Debian 12)
// predates it: including <iostream> gives this library a static std::ios_base::Init, so the standard
// streams are constructed when it loads, which is what the GCC 13 symbol guarantees.
#include <iostream>

namespace std
{
    __attribute__((visibility("default"))) void ios_base_library_init() {}
}
