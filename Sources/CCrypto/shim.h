#ifndef FOLLOWUP_CCRYPTO_SHIM_H
#define FOLLOWUP_CCRYPTO_SHIM_H
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#endif
