// Internals of HttpServer (http_server.h): the state every thread shares (ServerCore) and one
// epoll event loop (EventLoop) that owns its connections: reads, parses, runs inline handlers,
// hands blocking ones to the worker pool, writes answers, enforces limits and timeouts.
//
// Thread safety: an EventLoop's connections are touched only by its own thread. Other threads
// talk to it through AddConnection, PostCompletion and Wake, which lock and signal an eventfd.
// ServerCore's router, options and observer are read-only once the server has started.
#ifndef WARDEN_SRC_HTTP_HTTP_EVENT_LOOP_H_
#define WARDEN_SRC_HTTP_HTTP_EVENT_LOOP_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "src/http/http_message.h"
#include "src/http/http_parser.h"
#include "src/http/http_router.h"
#include "src/http/http_server.h"
#include "warden/status.h"

namespace warden::http {

class EventLoop;
struct Connection;

// CLOCK_MONOTONIC in nanoseconds.
int64_t NowNs();

// Runs a route's handler; an exception becomes 500 "internal" (the edge of STYLE.md).
Response RunHandler(const RouteEntry& route, Request& request);

// A request on its way to a worker thread and back.
struct BlockingTask {
  EventLoop* loop = nullptr;
  uint64_t connection_id = 0;
  std::unique_ptr<Request> request;
  const RouteEntry* route = nullptr;
};
struct Completion {
  uint64_t connection_id = 0;
  std::unique_ptr<Request> request;
  Response response;
};

struct ServerCore {
  explicit ServerCore(ServerOptions o) : options(std::move(o)) {}

  ServerOptions options;
  Router router;
  ExchangeObserver observer;
  std::atomic<int> open_connections{0};
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> drain_deadline_ns{0};

  std::vector<std::unique_ptr<EventLoop>> loops;
  size_t next_loop = 0;  // accepting loop's thread only

  std::mutex work_mu;
  std::condition_variable work_cv;
  std::deque<BlockingTask> work_queue;  // guarded by work_mu
  bool workers_stop = false;            // guarded by work_mu
  std::vector<std::thread> workers;

  int listen_fd = -1;
  int port = 0;
  bool started = false;  // owner thread only
  bool stopped = false;  // owner thread only

  // The loop that gets the next accepted connection (round robin).
  EventLoop* NextLoop();
  // Queues a blocking request; false if max_queued_blocking requests already wait.
  // On success the task (and its request) is moved from.
  bool SubmitBlocking(BlockingTask& task);
  void WorkerMain();
};

class EventLoop {
 public:
  EventLoop(ServerCore* server, int index);
  ~EventLoop();  // closes every connection and the loop's descriptors
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Creates the epoll set and eventfd; `listen_fd` >= 0 makes this the accepting loop.
  Status Init(int listen_fd);
  void StartThread();
  void Join();

  // Thread-safe: hand over an accepted socket; post a worker's answer; wake the loop (Stop).
  void AddConnection(int fd, std::string remote);
  void PostCompletion(Completion completion);
  void Wake();

 private:
  void Run();
  void OnWake();
  void AcceptAll();
  void Register(int fd, std::string remote);
  void HandleEvent(Connection* c, uint32_t events);
  void OnReadable(Connection* c);
  // Parses and answers every complete buffered request, then writes.
  void Drive(Connection* c);
  // True if it stopped because kMaxPendingOutput bytes wait to be written.
  bool ProcessInput(Connection* c);
  RequestParser::Event OnHeaders(Connection* c);
  void Dispatch(Connection* c);
  void RespondError(Connection* c, int status, std::string_view code, std::string_view message);
  // Serialises `response` for the connection's current request and queues it for writing.
  void Finish(Connection* c, std::unique_ptr<Request> request, Response& response,
              std::string_view route, int64_t start_ns);
  // Writes what is queued; false if the connection was closed.
  bool Flush(Connection* c);
  void NotifyWritten(Connection* c, bool failed);
  void UpdateInterest(Connection* c);
  void StartLinger(Connection* c);
  void Close(Connection* c);
  void Sweep();
  void BeginStop();
  void RefreshDate();

  ServerCore* server_;
  int index_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int listen_fd_ = -1;  // accepting loop only
  int64_t accept_paused_until_ns_ = 0;
  std::thread thread_;
  char wake_tag_ = 0;    // epoll data.ptr of the eventfd
  char listen_tag_ = 0;  // epoll data.ptr of the listening socket

  std::mutex mu_;
  std::vector<std::pair<int, std::string>> new_connections_;  // guarded by mu_
  std::vector<Completion> completions_;                       // guarded by mu_
  std::atomic<bool> wake_pending_{false};

  // Loop thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Connection>> graveyard_;  // freed after each epoll batch
  uint64_t next_id_ = 1;
  int64_t now_ns_ = 0;
  int64_t next_sweep_ns_ = 0;
  int64_t sweep_interval_ns_ = 0;
  bool stop_seen_ = false;
  int64_t date_second_ = -1;
  std::string date_;  // "Fri, 27 Nov 2026 14:35:11 GMT"
};

}  // namespace warden::http

#endif  // WARDEN_SRC_HTTP_HTTP_EVENT_LOOP_H_
