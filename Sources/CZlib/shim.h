#ifndef FOLLOWUP_CZLIB_SHIM_H
#define FOLLOWUP_CZLIB_SHIM_H
#include <zlib.h>
#endif
