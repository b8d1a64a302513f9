#ifndef FOLLOWUP_CHUNK_KERNEL_H
#define FOLLOWUP_CHUNK_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/// A SHA-256 computation in progress, computed with the CPU's SHA instructions.
/// A plain value: copying it copies the state.
typedef struct {
    uint32_t state[8];
    uint64_t length;      // bytes passed so far
    uint8_t buffer[64];   // a partial block; `length % 64` bytes are in use
} fu_sha256;

/// The chunker's parameters as the kernel needs them.
typedef struct {
    size_t min_size;
    size_t average_size;
    size_t max_size;
    uint64_t mask_small;
    uint64_t mask_large;
    const uint64_t *gear;   // 256 words
} fu_chunking;

/// 1 when this CPU has the SHA extensions (x86-64 SHA-NI with SSE4.1) the
/// functions below need; 0 otherwise, and they must not be called.
int fu_sha256_available(void);

void fu_sha256_init(fu_sha256 *ctx);
void fu_sha256_update(fu_sha256 *ctx, const void *data, size_t count);
void fu_sha256_final(fu_sha256 *ctx, uint8_t digest[32]);

/// The length of the chunk that starts at `data`, by the rules of `Chunker.cut`.
size_t fu_cut(const uint8_t *data, size_t count, const fu_chunking *chunking);

/// The SHA-256 digests of the `count` consecutive chunks of `data` that end at
/// `ends` (offsets from `data`, ascending, the first chunk starting at 0), 32
/// bytes each into `digests`; and, unless `file` is NULL, `data[0 ..< ends[count - 1]]`
/// fed to `file`.
///
/// Two messages are hashed at once (two chunks, or a chunk and the file): the
/// SHA instructions wait on each other within one message, not across two.
void fu_sha256_chunks(const uint8_t *data, const size_t *ends, size_t count, uint8_t *digests, fu_sha256 *file);

/// The SHA-256 digests of two messages, hashed at once.
void fu_sha256_pair(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length, uint8_t a_digest[32],
                    uint8_t b_digest[32]);

#endif
