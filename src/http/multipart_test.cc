#include "src/http/multipart.h"

#include <gtest/gtest.h>

#include "src/http/http_client.h"

namespace warden::http {
namespace {

TEST(MultipartBoundaryTest, TokenAndQuotedBoundaries) {
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=abc123").value_or(""), "abc123");
  EXPECT_EQ(MultipartBoundary("Multipart/Form-Data;boundary=\"a b:c\"; charset=x").value_or(""),
            "a b:c");
  EXPECT_EQ(
      MultipartBoundary("multipart/form-data; charset=utf-8; BOUNDARY=\"q\\\"x\"").value_or(""),
      "");  // '"' is no bchar
  EXPECT_FALSE(MultipartBoundary("multipart/mixed; boundary=abc").has_value());
  EXPECT_FALSE(MultipartBoundary("application/json").has_value());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data").has_value());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=").has_value());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=\"unterminated").has_value());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'a')));
  EXPECT_TRUE(MultipartBoundary("multipart/form-data; boundary=" + std::string(70, 'a')));
}

TEST(ParseMultipartTest, PartsWithNamesFilenamesAndTypes) {
  const std::string body =
      "preamble to ignore\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"photo\"; filename=\"cat \\\"1\\\".jpg\"\r\n"
      "Content-Type: image/jpeg\r\n"
      "\r\n"
      "\xff\xd8line1\r\nline2\r\n\r\n"
      "--XyZ\r\n"
      "content-disposition: form-data; name=comment\r\n"
      "\r\n"
      "hello\r\n"
      "--XyZ--\r\n"
      "epilogue";
  auto parts = ParseMultipart(body, "XyZ");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  const FormPart& photo = (*parts)[0];
  EXPECT_EQ(photo.name, "photo");
  EXPECT_EQ(photo.filename, "cat \"1\".jpg");
  EXPECT_EQ(photo.content_type, "image/jpeg");
  // CRLFs inside the data stay; only the one before the delimiter goes.
  EXPECT_EQ(photo.data, "\xff\xd8line1\r\nline2\r\n");
  EXPECT_GE(photo.data.data(), body.data());
  EXPECT_LE(photo.data.data() + photo.data.size(), body.data() + body.size());
  EXPECT_EQ((*parts)[1].name, "comment");
  EXPECT_EQ((*parts)[1].filename, "");
  EXPECT_EQ((*parts)[1].data, "hello");
}

TEST(ParseMultipartTest, BareLineFeedsAndEmptyParts) {
  const std::string body =
      "--b\nContent-Disposition: form-data; name=a\n\nx\n--b\r\n"
      "Content-Disposition: form-data; name=empty\r\n\r\n\r\n--b\r\n"
      "Content-Disposition: form-data; name=tight\r\n\r\n--b--";
  auto parts = ParseMultipart(body, "b");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].data, "x");
  EXPECT_EQ((*parts)[1].data, "");
  EXPECT_EQ((*parts)[2].data, "");
}

TEST(ParseMultipartTest, Errors) {
  struct Case {
    std::string body;
    const char* message_part;
  };
  const Case cases[] = {
      {"--b\r\nContent-Disposition: form-data; name=a\r\n\r\ndata", "no closing boundary"},
      {"--b\r\nContent-Disposition: form-data; name=a\r\n\r\ndata\r\n--b\r\n",
       "no closing boundary"},
      {"--b\r\nContent-Disposition: form-data; name=a\r\n", "no closing boundary"},
      {"nothing here", "no opening boundary"},
      {"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
       "part 1 has no Content-Disposition name"},
      {"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b\r\n"
       "Content-Disposition: form-data; filename=f\r\n\r\ny\r\n--b--",
       "part 2 has no Content-Disposition name"},
      {"--b\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--b--", "not form-data"},
      {"--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--", "unterminated"},
      {"--b\r\nno colon\r\n\r\nx\r\n--b--", "without a colon"},
      {"--bX\r\n", "followed by other text"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    auto parts = ParseMultipart(c.body, "b");
    ASSERT_FALSE(parts.ok());
    EXPECT_EQ(parts.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parts.status().message().find(c.message_part), std::string::npos)
        << parts.status().message();
  }
}

TEST(ParseMultipartTest, MaxParts) {
  std::string body;
  for (int i = 0; i < 3; ++i) body += "--b\r\nContent-Disposition: form-data; name=p\r\n\r\nx\r\n";
  body += "--b--\r\n";
  EXPECT_TRUE(ParseMultipart(body, "b", 3).ok());
  auto over = ParseMultipart(body, "b", 2);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("more than 2 parts"), std::string::npos);
}

TEST(ParseMultipartTest, RoundTripsTheClientsBody) {
  std::string data = "binary\r\n--warden-boundary-x";
  data += '\0';
  data += '\xff';
  data += std::string(1000, 'z');
  std::string content_type;
  const std::string body = MultipartBody("photo", "a.jpg", data, &content_type);
  auto boundary = MultipartBoundary(content_type);
  ASSERT_TRUE(boundary.has_value());
  auto parts = ParseMultipart(body, *boundary);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].name, "photo");
  EXPECT_EQ((*parts)[0].filename, "a.jpg");
  EXPECT_EQ((*parts)[0].data, data);
}

}  // namespace
}  // namespace warden::http
