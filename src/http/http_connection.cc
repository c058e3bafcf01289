// EventLoop's work on one connection: read, parse, route, run or hand off, queue the answer,
// write, report to the observer. The loop itself (threads, accept, timers, stop) is in
// http_event_loop.cc.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "src/base/ascii.h"
#include "src/http/http_connection.h"
#include "src/http/http_event_loop.h"

namespace warden::http {
namespace {

constexpr size_t kReadChunk = 16 << 10;
// Stop parsing pipelined requests while this much output waits for the client to read it.
constexpr size_t kMaxPendingOutput = 1 << 20;
// After an error answer the connection is half-closed and what the client still sends is read
// and dropped for a while, so that closing does not send a RST that could destroy the answer
// before the client reads it (RFC 9112 section 9.6).
constexpr int64_t kLingerNs = 2'000'000'000;
constexpr size_t kMaxLingerBytes = 1 << 20;
constexpr size_t kMaxSpareRequests = 4;

void AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, result.ptr);
}

}  // namespace

void AppendResponse(std::string& out, const Response& r, bool head, bool keep_alive,
                    std::string_view date) {
  const int status = (r.status < 100 || r.status > 999) ? 500 : r.status;
  out += "HTTP/1.1 ";
  AppendUint(out, static_cast<uint64_t>(status));
  out += ' ';
  out += ReasonPhrase(status);
  out += "\r\n";
  for (const auto& [name, value] : r.headers.fields()) {
    if (name == "content-length" || name == "connection" || name == "date" ||
        name == "transfer-encoding") {
      continue;  // the server's own framing
    }
    // A handler bug must not split the response (CR/LF in a field).
    if (name.empty() || name.find_first_of("\r\n: ") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "Date: ";
  out += date;
  out += "\r\n";
  const bool no_body = status < 200 || status == 204 || status == 304;
  if (!no_body) {
    out += "Content-Length: ";
    AppendUint(out, r.body.size());
    out += "\r\n";
  }
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (!no_body && !head) out += r.body;
}

void EventLoop::OnReadable(Connection* c) {
  if (c->lingering) {
    char sink[16 << 10];
    const ssize_t n = recv(c->fd, sink, sizeof(sink), 0);
    if (n > 0) {
      c->lingered += static_cast<size_t>(n);
      if (c->lingered > kMaxLingerBytes) Close(c);
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      Close(c);
    }
    return;
  }
  if (c->in.size() - c->in_end < kReadChunk / 2) {
    if (c->in_begin > 0) {
      std::memmove(c->in.data(), c->in.data() + c->in_begin, c->in_end - c->in_begin);
      c->in_end -= c->in_begin;
      c->in_begin = 0;
    }
    if (c->in.size() - c->in_end < kReadChunk / 2) c->in.resize(c->in.size() + kReadChunk);
  }
  const ssize_t n = recv(c->fd, c->in.data() + c->in_end, c->in.size() - c->in_end, 0);
  if (n > 0) {
    c->in_end += static_cast<size_t>(n);
    c->last_activity_ns = now_ns_;
  } else if (n == 0) {
    c->peer_eof = true;
  } else {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    Close(c);
    return;
  }
  Drive(c);
}

void EventLoop::Drive(Connection* c) {
  // ProcessInput stops at kMaxPendingOutput; once that output is written, parse on.
  while (ProcessInput(c) && !c->closed && Flush(c) && c->out.empty()) {
  }
  if (!c->closed) Flush(c);
}

bool EventLoop::ProcessInput(Connection* c) {
  bool output_full = false;
  while (!c->closed && !c->on_worker && !c->close_after_write && !c->lingering) {
    if (c->out.size() - c->out_pos > kMaxPendingOutput) {
      output_full = true;
      break;
    }
    if (!c->request) {
      if (!c->spare.empty()) {
        c->request = std::move(c->spare.back());
        c->spare.pop_back();
      } else {
        c->request = std::make_unique<Request>();
      }
      c->parser.Reset(c->request.get());
      c->request->remote_address = c->remote;
      c->route = nullptr;
      c->path_known = false;
      c->head = false;
      c->request_start_ns = 0;
    }
    if (c->in_begin == c->in_end) break;
    if (c->request_start_ns == 0) c->request_start_ns = now_ns_;
    size_t consumed = 0;
    RequestParser::Event ev =
        c->parser.Parse(c->in.data() + c->in_begin, c->in_end - c->in_begin, &consumed);
    c->in_begin += consumed;
    if (ev == RequestParser::Event::kHeaders) {
      ev = OnHeaders(c);
      if (ev == RequestParser::Event::kNeedMore) continue;
    }
    if (ev == RequestParser::Event::kNeedMore) break;
    if (ev == RequestParser::Event::kError) {
      const ParseError& e = c->parser.error();
      RespondError(c, e.status, e.code, e.message);
      break;
    }
    Dispatch(c);
  }
  if (c->in_begin == c->in_end) c->in_begin = c->in_end = 0;
  // The client sent everything it will send: answer what is complete, then close.
  if (c->peer_eof && !c->on_worker) c->close_after_write = true;
  return output_full && !c->closed;
}

RequestParser::Event EventLoop::OnHeaders(Connection* c) {
  Request* r = c->request.get();
  c->head = r->method == "HEAD";
  c->route = server_->router.Find(r, &c->path_known, &c->allow);
  const int64_t limit = (c->route != nullptr && c->route->options.max_body_bytes > 0)
                            ? c->route->options.max_body_bytes
                            : server_->options.max_body_bytes;
  const RequestParser::Event ev = c->parser.StartBody(limit);
  // RFC 9110 section 10.1.1: 100 Continue only when the body will be read; a client that
  // already sent it gets none.
  if (ev == RequestParser::Event::kNeedMore && c->parser.expect_continue() &&
      c->in_begin == c->in_end) {
    c->out += "HTTP/1.1 100 Continue\r\n\r\n";
    c->queued_total += 25;
  }
  return ev;
}

void EventLoop::Dispatch(Connection* c) {
  c->served_any = true;
  const RouteEntry* route = c->route;
  if (route == nullptr) {
    Response response =
        c->path_known ? ErrorResponse(405, "method_not_allowed",
                                      "method " + c->request->method + " is not allowed on " +
                                          c->request->path + " (allowed: " + c->allow + ")")
                      : ErrorResponse(404, "not_found", "no route for path " + c->request->path);
    if (c->path_known) response.headers.Set("allow", c->allow);
    Finish(c, std::move(c->request), response, std::string_view(), c->request_start_ns);
    return;
  }
  bool blocking = route->options.blocking;
  if (!blocking && route->options.blocking_when) {
    try {
      blocking = route->options.blocking_when(*c->request);
    } catch (...) {
      Response failed = ErrorResponse(500, "internal", "internal error while routing the request");
      Finish(c, std::move(c->request), failed, route->pattern, c->request_start_ns);
      return;
    }
  }
  if (blocking) {
    BlockingTask task{this, c->id, std::move(c->request), route};
    if (server_->SubmitBlocking(task)) {
      server_->in_flight.fetch_add(1);
      c->on_worker = true;
      UpdateInterest(c);
      return;
    }
    Response busy = ErrorResponse(
        503, "busy",
        "the server is busy: " + std::to_string(server_->options.max_queued_blocking) +
            " requests already wait for a worker");
    Finish(c, std::move(task.request), busy, route->pattern, c->request_start_ns);
    return;
  }
  server_->in_flight.fetch_add(1);
  Response response = RunHandler(*route, *c->request);
  server_->in_flight.fetch_sub(1);
  Finish(c, std::move(c->request), response, route->pattern, c->request_start_ns);
}

void EventLoop::RespondError(Connection* c, int status, std::string_view code,
                             std::string_view message) {
  c->close_after_write = true;
  c->untrusted = true;
  Response response = ErrorResponse(status, code, message);
  if (!c->request) c->request = std::make_unique<Request>();
  const int64_t start = c->request_start_ns != 0 ? c->request_start_ns : now_ns_;
  Finish(c, std::move(c->request), response, std::string_view(), start);
}

void EventLoop::Finish(Connection* c, std::unique_ptr<Request> request, Response& response,
                       std::string_view route, int64_t start_ns) {
  bool keep_alive = !c->close_after_write && c->parser.keep_alive() && !stop_seen_ &&
                    !server_->stopping.load(std::memory_order_relaxed);
  if (keep_alive) {
    auto wanted = response.headers.Get("connection");
    if (wanted && AsciiEqualsIgnoreCase(*wanted, "close")) keep_alive = false;
  }
  if (!keep_alive) c->close_after_write = true;
  const size_t before = c->out.size();
  AppendResponse(c->out, response, c->head, keep_alive, date_);
  const auto bytes = static_cast<int64_t>(c->out.size() - before);
  c->queued_total += static_cast<uint64_t>(bytes);
  Connection::Pending p;
  p.end = c->queued_total;
  p.request = std::move(request);
  p.route = route;
  p.status = response.status;
  p.bytes = bytes;
  p.start_ns = start_ns;
  c->pending.push_back(std::move(p));
}

bool EventLoop::Flush(Connection* c) {
  if (c->out_pos < c->out.size()) {
    // One send for every answer queued so far; a short write means the socket buffer is full,
    // so EPOLLOUT says when to go on instead of a second send that would fail.
    const ssize_t n =
        send(c->fd, c->out.data() + c->out_pos, c->out.size() - c->out_pos, MSG_NOSIGNAL);
    if (n > 0) {
      c->out_pos += static_cast<size_t>(n);
      c->written_total += static_cast<uint64_t>(n);
      c->last_activity_ns = now_ns_;
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      Close(c);
      return false;
    }
    if (c->out_pos == c->out.size()) {
      c->out_pos = 0;
      c->out.clear();
      if (c->out.capacity() > kMaxPendingOutput) std::string().swap(c->out);
    }
  }
  if (c->pending_head < c->pending.size()) NotifyWritten(c, false);
  if (c->out.empty() && c->close_after_write && !c->on_worker) {
    if (c->peer_eof || !c->untrusted || stop_seen_) {
      Close(c);
      return false;
    }
    StartLinger(c);
  }
  UpdateInterest(c);
  return true;
}

void EventLoop::NotifyWritten(Connection* c, bool failed) {
  int64_t end_ns = 0;
  while (c->pending_head < c->pending.size() &&
         (failed || c->pending[c->pending_head].end <= c->written_total)) {
    Connection::Pending& p = c->pending[c->pending_head];
    if (server_->observer) {
      if (end_ns == 0) end_ns = NowNs();
      Exchange exchange;
      exchange.request = p.request.get();
      exchange.route = p.route;
      exchange.status = p.status;
      exchange.response_bytes = p.bytes;
      exchange.latency = std::chrono::nanoseconds(end_ns - p.start_ns);
      try {
        server_->observer(exchange);
      } catch (...) {
        // An observer is metrics and logs: its failure must not cost the client its answer.
      }
    }
    if (c->spare.size() < kMaxSpareRequests && p.request) {
      c->spare.push_back(std::move(p.request));
    }
    ++c->pending_head;
  }
  if (c->pending_head == c->pending.size()) {
    c->pending.clear();  // keeps its capacity: no allocation per request
    c->pending_head = 0;
  }
}

void EventLoop::UpdateInterest(Connection* c) {
  if (c->closed) return;
  uint32_t want = 0;
  if (c->out_pos < c->out.size()) {
    want = EPOLLOUT;
  } else if (c->lingering) {
    want = EPOLLIN;
  } else if (!c->on_worker && !c->peer_eof && !c->close_after_write) {
    want = EPOLLIN;
  }
  if (want == c->events) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = c;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
  c->events = want;
}

void EventLoop::StartLinger(Connection* c) {
  if (c->lingering) return;
  shutdown(c->fd, SHUT_WR);
  c->lingering = true;
  c->linger_deadline_ns =
      now_ns_ + std::min<int64_t>(kLingerNs, int64_t{server_->options.read_timeout_ms} * 1'000'000);
}

}  // namespace warden::http
