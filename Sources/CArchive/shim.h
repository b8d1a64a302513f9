#ifndef FOLLOWUP_CARCHIVE_SHIM_H
#define FOLLOWUP_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
