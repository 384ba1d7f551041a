// bench_loopback_send: what sending a file over loopback TCP costs the sender alone, by method —
// the floor under a seeder's CPU per GiB (docs/performance.md, "Seeding reads").
//
//   build/default/bench/bench_loopback_send pread|mmap|splice|sendfile FILE
//
// Sends FILE once to a child process that reads and discards it, as 16 KiB blocks each preceded
// by a 13-byte header (the BitTorrent `piece` message), 256 KiB per read like a coalesced burst of
// requests; prints the sender's CPU seconds (user + system, getrusage) per GiB. Methods:
// pread + sendmsg (what ccbt does by default), mmap + MADV_POPULATE_READ + sendmsg, header write +
// splice of the file into a pipe then one splice to the socket per 256 KiB, header with MSG_MORE +
// sendfile per block. No part of ccbt is used: this is the system's cost, not ours.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

namespace {

constexpr std::size_t block = 16384;
constexpr std::size_t group = 256 * 1024;
constexpr std::size_t header = 13;

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

double cpu_seconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

void send_all(int s, iovec* iov, int n) {
  while (n > 0) {
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = static_cast<std::size_t>(n);
    ssize_t k = sendmsg(s, &m, 0);
    if (k < 0) die("sendmsg");
    while (n > 0 && static_cast<std::size_t>(k) >= iov->iov_len) {
      k -= static_cast<ssize_t>(iov->iov_len);
      ++iov;
      --n;
    }
    if (n > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + k;
      iov->iov_len -= static_cast<std::size_t>(k);
    }
  }
}

// One 256 KiB group as iovecs: header, block, header, block, ...
int group_iovecs(iovec* iov, char* hdr, char* data, std::size_t len) {
  int n = 0;
  for (std::size_t b = 0; b < len; b += block) {
    iov[n++] = {hdr, header};
    iov[n++] = {data + b, std::min(block, len - b)};
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s pread|mmap|splice|sendfile FILE\n", argv[0]);
    return 2;
  }
  const std::string_view mode = argv[1];
  const int fd = open(argv[2], O_RDONLY);
  if (fd < 0) die(argv[2]);
  struct stat st{};
  if (fstat(fd, &st) != 0) die("fstat");
  const auto size = static_cast<std::size_t>(st.st_size);

  const int l = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(l, 1) != 0 ||
      getsockname(l, reinterpret_cast<sockaddr*>(&a), &al) != 0)
    die("listen");
  const pid_t pid = fork();
  if (pid == 0) {  // the receiver: reads everything, discards it
    const int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) _exit(1);
    std::vector<char> b(1 << 20);
    while (read(c, b.data(), b.size()) > 0) {
    }
    _exit(0);
  }
  const int s = accept(l, nullptr, nullptr);
  if (s < 0) die("accept");
  char hdr[header] = {};
  iovec iov[2 * group / block];

  const double c0 = cpu_seconds();
  if (mode == "pread") {
    std::vector<char> buf(group);
    for (std::size_t off = 0; off < size; off += group) {
      const std::size_t len = std::min(group, size - off);
      if (pread(fd, buf.data(), len, static_cast<off_t>(off)) != static_cast<ssize_t>(len)) die("pread");
      send_all(s, iov, group_iovecs(iov, hdr, buf.data(), len));
    }
  } else if (mode == "mmap") {
    auto* m = static_cast<char*>(mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0));
    if (m == MAP_FAILED) die("mmap");
    madvise(m, size, MADV_SEQUENTIAL);
    for (std::size_t off = 0; off < size; off += group) {
      const std::size_t len = std::min(group, size - off);
      madvise(m + off, len, MADV_POPULATE_READ);
      send_all(s, iov, group_iovecs(iov, hdr, m + off, len));
    }
  } else if (mode == "splice") {
    int p[2];
    if (pipe(p) != 0) die("pipe");
    fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
    for (std::size_t off = 0; off < size; off += group) {
      std::size_t in_pipe = 0;
      for (std::size_t b = off; b < std::min(off + group, size); b += block) {
        if (write(p[1], hdr, header) != static_cast<ssize_t>(header)) die("write");
        in_pipe += header;
        loff_t o = static_cast<loff_t>(b);
        for (std::size_t left = std::min(block, size - b); left > 0;) {
          const ssize_t k = splice(fd, &o, p[1], nullptr, left, SPLICE_F_MOVE);
          if (k <= 0) die("splice in");
          left -= static_cast<std::size_t>(k);
          in_pipe += static_cast<std::size_t>(k);
        }
      }
      while (in_pipe > 0) {
        const ssize_t k = splice(p[0], nullptr, s, nullptr, in_pipe, SPLICE_F_MOVE | SPLICE_F_MORE);
        if (k <= 0) die("splice out");
        in_pipe -= static_cast<std::size_t>(k);
      }
    }
  } else if (mode == "sendfile") {
    for (std::size_t off = 0; off < size; off += block) {
      if (send(s, hdr, header, MSG_MORE) != static_cast<ssize_t>(header)) die("send");
      off_t o = static_cast<off_t>(off);
      for (std::size_t left = std::min(block, size - off); left > 0;) {
        const ssize_t k = sendfile(s, fd, &o, left);
        if (k <= 0) die("sendfile");
        left -= static_cast<std::size_t>(k);
      }
    }
  } else {
    std::fprintf(stderr, "unknown method: %s\n", argv[1]);
    return 2;
  }
  const double c1 = cpu_seconds();
  close(s);
  waitpid(pid, nullptr, 0);
  std::printf("%s: %.3f CPU-s/GiB (sender)\n", argv[1], (c1 - c0) * static_cast<double>(1u << 30) / static_cast<double>(size));
  return 0;
}
