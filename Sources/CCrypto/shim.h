#pragma once
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// OpenSSL spells these as macros around SSL_CTX_ctrl / SSL_ctrl / BIO_ctrl, which Swift cannot
// call. Thin inline wrappers with a prefix, nothing else.

static inline int stampede_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

static inline long stampede_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

static inline long stampede_ssl_ctx_set_options(SSL_CTX *ctx, long options) {
    return (long)SSL_CTX_set_options(ctx, (uint64_t)options);
}

static inline int stampede_bio_set_mem_eof_return(BIO *bio, int value) {
    return (int)BIO_set_mem_eof_return(bio, value);
}

static inline size_t stampede_bio_pending(BIO *bio) {
    return BIO_ctrl_pending(bio);
}

static inline int stampede_tls1_2_version(void) { return TLS1_2_VERSION; }
static inline int stampede_tls1_3_version(void) { return TLS1_3_VERSION; }
static inline long stampede_ssl_mode_release_buffers(void) { return SSL_MODE_RELEASE_BUFFERS; }
static inline long stampede_ssl_mode_partial_write(void) { return SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER; }
static inline long stampede_ssl_op_server_preference(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION; }

static inline int stampede_ssl_ctx_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
