// https fetches against a TLS server in the test, with certificates made here with the
// OpenSSL 3 API (no fixture files, nothing from the network).
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "src/http/fetch_test_server.h"
#include "src/http/url_fetcher.h"

namespace warden::http {
namespace {

using ::testing::HasSubstr;

struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CertFree {
  void operator()(X509* p) const { X509_free(p); }
};
struct CtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;

// A self-signed P-256 certificate, valid from an hour ago for a day, whose subject alternative
// names are `san` (e.g. "DNS:localhost,IP:127.0.0.1").
struct SelfSigned {
  KeyPtr key;
  CertPtr cert;
  std::string pem_path;  // the certificate alone, as a CA file
};

SelfSigned MakeSelfSigned(const std::string& common_name, const std::string& san,
                          const std::string& file_name) {
  SelfSigned out;
  out.key.reset(EVP_EC_gen("P-256"));
  EXPECT_NE(out.key, nullptr);
  out.cert.reset(X509_new());
  X509* x = out.cert.get();
  X509_set_version(x, X509_VERSION_3);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, out.key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                                   {NID_basic_constraints, "critical,CA:TRUE"},
                                   {NID_subject_key_identifier, "hash"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    EXPECT_NE(ext, nullptr) << value;
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  EXPECT_GT(X509_sign(x, out.key.get(), EVP_sha256()), 0);

  out.pem_path = testing::TempDir() + "/" + file_name + "_" + std::to_string(::getpid()) + ".pem";
  FILE* f = std::fopen(out.pem_path.c_str(), "w");
  EXPECT_NE(f, nullptr);
  if (f != nullptr) {
    EXPECT_EQ(PEM_write_X509(f, x), 1);
    std::fclose(f);
  }
  return out;
}

CtxPtr ServerContext(const SelfSigned& identity) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), identity.cert.get()), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), identity.key.get()), 1);
  return ctx;
}

class UrlFetcherTlsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    good_ = new SelfSigned(MakeSelfSigned("localhost", "DNS:localhost,IP:127.0.0.1", "good"));
    other_ = new SelfSigned(MakeSelfSigned("localhost", "DNS:localhost,IP:127.0.0.1", "other"));
    wrong_name_ = new SelfSigned(MakeSelfSigned("other.test", "DNS:other.test", "wrong_name"));
  }
  static void TearDownTestSuite() {
    for (SelfSigned* s : {good_, other_, wrong_name_}) {
      std::remove(s->pem_path.c_str());
      delete s;
    }
  }

  static FetchOptions Options(const std::string& ca_file) {
    FetchOptions options;
    options.allow_list = {"localhost", "127.0.0.1"};
    options.ca_file = ca_file;
    options.timeout_ms = 5000;
    return options;
  }
  static FetchTestServer::Handler Body() {
    return [](FetchTestServer::Peer& peer, const std::string&) {
      peer.Write(FetchTestServer::Response(200, "Content-Type: image/webp\r\n", "RIFF....WEBP"));
    };
  }

  static SelfSigned* good_;
  static SelfSigned* other_;
  static SelfSigned* wrong_name_;
};
SelfSigned* UrlFetcherTlsTest::good_ = nullptr;
SelfSigned* UrlFetcherTlsTest::other_ = nullptr;
SelfSigned* UrlFetcherTlsTest::wrong_name_ = nullptr;

TEST_F(UrlFetcherTlsTest, TrustedCertificateForTheHostName) {
  CtxPtr ctx = ServerContext(*good_);
  FetchTestServer server({{"/img.webp", Body()}}, ctx.get());
  std::string url = "https://localhost:" + std::to_string(server.port()) + "/img.webp";
  Result<FetchResult> r = UrlFetcher(Options(good_->pem_path)).Fetch(url);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "RIFF....WEBP");
  EXPECT_EQ(r->content_type, "image/webp");
  EXPECT_EQ(r->final_url, url);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_THAT(server.requests()[0],
              HasSubstr("\r\nHost: localhost:" + std::to_string(server.port()) + "\r\n"));
}

TEST_F(UrlFetcherTlsTest, TrustedCertificateForTheAddress) {
  CtxPtr ctx = ServerContext(*good_);
  FetchTestServer server({{"/img.webp", Body()}}, ctx.get());
  Result<FetchResult> r = UrlFetcher(Options(good_->pem_path)).Fetch(server.Url("/img.webp"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "RIFF....WEBP");
}

TEST_F(UrlFetcherTlsTest, UntrustedCertificateIsRefused) {
  CtxPtr ctx = ServerContext(*good_);
  FetchTestServer server({{"/img.webp", Body()}}, ctx.get());
  std::string url = "https://localhost:" + std::to_string(server.port()) + "/img.webp";
  for (const std::string& ca_file : {other_->pem_path, std::string()}) {
    Result<FetchResult> r = UrlFetcher(Options(ca_file)).Fetch(url);
    ASSERT_FALSE(r.ok()) << "ca_file '" << ca_file << "'";
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_THAT(r.status().message(),
                HasSubstr("fetch " + url + ": TLS certificate of 'localhost' is not accepted: "));
    EXPECT_THAT(r.status().message(), HasSubstr("self-signed certificate"));
  }
  EXPECT_TRUE(server.requests().empty());  // no request went over the untrusted connection
}

TEST_F(UrlFetcherTlsTest, CertificateForAnotherNameIsRefused) {
  CtxPtr ctx = ServerContext(*wrong_name_);
  FetchTestServer server({{"/img.webp", Body()}}, ctx.get());
  std::string port = std::to_string(server.port());
  for (const std::string& url :
       {"https://localhost:" + port + "/img.webp", "https://127.0.0.1:" + port + "/img.webp"}) {
    Result<FetchResult> r = UrlFetcher(Options(wrong_name_->pem_path)).Fetch(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_THAT(r.status().message(), HasSubstr("mismatch")) << url;
  }
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(UrlFetcherTlsTest, PlainHttpServerFailsTheHandshake) {
  FetchTestServer plain({{"/x", Body()}});
  std::string url = "https://127.0.0.1:" + std::to_string(plain.port()) + "/x";
  Result<FetchResult> r = UrlFetcher(Options(good_->pem_path)).Fetch(url);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("TLS handshake with '127.0.0.1' failed"));
}

TEST_F(UrlFetcherTlsTest, MissingCaFileIsInvalidArgument) {
  Result<FetchResult> r = UrlFetcher(Options("/nonexistent/ca.pem")).Fetch("https://127.0.0.1:1/");
  // The CA file is read only once connected: nothing listens on port 1, so the connection
  // fails first. A listening server shows the CA error.
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  CtxPtr ctx = ServerContext(*good_);
  FetchTestServer server({{"/x", Body()}}, ctx.get());
  Result<FetchResult> s = UrlFetcher(Options("/nonexistent/ca.pem")).Fetch(server.Url("/x"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("cannot load CA file '/nonexistent/ca.pem'"));
}

TEST_F(UrlFetcherTlsTest, ReplacedCaFileIsReadAgain) {
  CtxPtr ctx = ServerContext(*good_);
  FetchTestServer server({{"/x", Body()}}, ctx.get());
  std::string ca = testing::TempDir() + "/replaced_" + std::to_string(::getpid()) + ".pem";
  auto install = [&ca](const std::string& from) {
    std::string copy = ca + ".new";
    std::FILE* in = std::fopen(from.c_str(), "rb");
    std::FILE* out = std::fopen(copy.c_str(), "wb");
    ASSERT_NE(in, nullptr);
    ASSERT_NE(out, nullptr);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), in)) > 0) std::fwrite(buf, 1, n, out);
    std::fclose(in);
    std::fclose(out);
    ASSERT_EQ(std::rename(copy.c_str(), ca.c_str()), 0);  // a new inode, as a deploy would do
  };
  install(good_->pem_path);
  EXPECT_TRUE(UrlFetcher(Options(ca)).Fetch(server.Url("/x")).ok());
  EXPECT_TRUE(UrlFetcher(Options(ca)).Fetch(server.Url("/x")).ok());  // from the cache
  install(other_->pem_path);
  Result<FetchResult> r = UrlFetcher(Options(ca)).Fetch(server.Url("/x"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("is not accepted"));
  install(good_->pem_path);
  EXPECT_TRUE(UrlFetcher(Options(ca)).Fetch(server.Url("/x")).ok());
  std::remove(ca.c_str());
}

TEST_F(UrlFetcherTlsTest, ManyThreadsShareOneFetcher) {
  CtxPtr ctx = ServerContext(*good_);
  FetchTestServer server({{"/x", Body()}}, ctx.get());
  const UrlFetcher fetcher(Options(good_->pem_path));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        Result<FetchResult> r = fetcher.Fetch(server.Url("/x"));
        if (r.ok() && r->body == "RIFF....WEBP") ok.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 12);
  EXPECT_EQ(server.connections(), 12);
}

}  // namespace
}  // namespace warden::http
