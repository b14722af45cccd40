-- An open-loop HTTP client in LuaJIT (Debian's `luajit`): requests at a fixed rate, latency from
-- when each request was due. Driven by bench/fixed_rate.py:
--
--   luajit bench/fixed_rate.lua HOST PORT RATE WARM SECONDS TAIL REQUEST_FILE OUT
--
-- Request i is due at start + i / RATE, whatever happened before. When it is due the client opens
-- a new connection (as a browser does when it has something to send; gunicorn's sync workers close
-- every connection after one answer anyway), sends the request and reads until the server closes.
-- Latency runs from the due time, so time spent queueing behind a slow answer counts (no
-- "coordinated omission"). How late the client itself started each request is recorded apart
-- ("lag"): on a busy machine that shows as the client's delay, not as the server's.
--
-- Why not wrk with a Lua pacing script: wrk's hooks run while a connection is open (delay() after
-- connecting, response() before closing), and gunicorn's sync worker holds its worker until the
-- client closes (it drains the connection on close) or sends its request, so any wait inside wrk
-- holds a server worker and the latency becomes the client's wait.
--
-- One thread, one epoll loop, non-blocking sockets through LuaJIT's FFI: about 150 microseconds of
-- CPU per request on the benchmark machine, almost all in the kernel (the Python asyncio client this
-- replaces took 800-900).
-- Requests due in the first WARM seconds are sent but not measured; the ones due in the next
-- SECONDS are; whatever has no answer TAIL seconds after the last one was due is counted as
-- unanswered (the caller treats it as slower than any answer).

local ffi = require("ffi")
local bit = require("bit")
local C = ffi.C

ffi.cdef [[
struct fixed_rate_timespec { long tv_sec; long tv_nsec; };
struct fixed_rate_sockaddr_in { uint16_t family; uint16_t port; uint32_t addr; uint8_t zero[8]; };
struct fixed_rate_event { uint32_t events; uint32_t fd; uint32_t pad; };  /* struct epoll_event, packed */
int clock_gettime(int clock, struct fixed_rate_timespec *now);
int socket(int domain, int type, int protocol);
int connect(int fd, const struct fixed_rate_sockaddr_in *address, uint32_t length);
int setsockopt(int fd, int level, int name, const void *value, uint32_t length);
int getsockopt(int fd, int level, int name, void *value, uint32_t *length);
int inet_pton(int family, const char *text, void *address);
uint16_t htons(uint16_t port);
long send(int fd, const void *buffer, size_t length, int flags);
long recv(int fd, void *buffer, size_t length, int flags);
int close(int fd);
int epoll_create1(int flags);
int epoll_ctl(int epfd, int op, int fd, struct fixed_rate_event *event);
int epoll_pwait2(int epfd, struct fixed_rate_event *events, int most, const struct fixed_rate_timespec *timeout,
                 const void *sigmask);
]]

local AF_INET, SOCK_STREAM, SOCK_NONBLOCK = 2, 1, 2048
local SOL_SOCKET, SO_ERROR = 1, 4
local EINPROGRESS, EAGAIN, EINTR = 115, 11, 4
local MSG_NOSIGNAL = 0x4000
local EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP = 1, 4, 8, 16
local EPOLL_CTL_ADD, EPOLL_CTL_MOD = 1, 3
local MAX_IN_FLIGHT = 4000 -- beyond this the server is hopelessly behind; later requests wait (and it counts)

local host, port, rate = arg[1], tonumber(arg[2]), tonumber(arg[3])
local warm, seconds, tail = tonumber(arg[4]), tonumber(arg[5]), tonumber(arg[6])
local request_file, out = arg[7], arg[8]

local request = assert(io.open(request_file, "rb")):read("*a")
local request_length = #request

local clock = ffi.new("struct fixed_rate_timespec")
local function now()
  C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end

local address = ffi.new("struct fixed_rate_sockaddr_in")
address.family = AF_INET
address.port = C.htons(port)
assert(C.inet_pton(AF_INET, host, ffi.cast("void *", ffi.cast("char *", address) + 4)) == 1, "bad host")
local epfd = C.epoll_create1(0)
assert(epfd >= 0, "epoll_create1 failed")
local event = ffi.new("struct fixed_rate_event")
local events = ffi.new("struct fixed_rate_event[256]")
local buffer = ffi.new("uint8_t[65536]")
local soerror, soerror_length = ffi.new("int[1]"), ffi.new("uint32_t[1]")
local wait = ffi.new("struct fixed_rate_timespec")

local total = math.ceil((warm + seconds) * rate) -- slots due before the window ends
local first_measured = math.ceil(warm * rate) -- slot index of the window's first request
local open = {} -- fd -> {due, connected, head (first bytes, for the status)}
local in_flight = 0
local latencies, lags, statuses = {}, {}, {}
local failures, sent = 0, 0

local function measured(slot)
  return slot >= first_measured
end

local function finish(fd)
  C.close(fd) -- also takes it out of the epoll set
  open[fd] = nil
  in_flight = in_flight - 1
end

local function fail(fd, connection)
  if measured(connection.slot) then
    failures = failures + 1
  end
  finish(fd)
end

local function send(fd, connection)
  if C.send(fd, request, request_length, MSG_NOSIGNAL) ~= request_length then
    return false -- a request of a few hundred bytes goes out in one send or not at all
  end
  connection.connected = true
  return true
end

-- Connect, and on loopback usually send at once (the handshake is done by then); otherwise wait
-- for the connection to be writable. Few system calls per request: the client shares the cores.
local function start(slot, due, moment)
  if measured(slot) then
    sent = sent + 1
    lags[#lags + 1] = (moment - due) * 1e6
  end
  local fd = C.socket(AF_INET, bit.bor(SOCK_STREAM, SOCK_NONBLOCK), 0)
  if fd < 0 then
    if measured(slot) then failures = failures + 1 end
    return
  end
  local connection = { slot = slot, due = due, connected = false, head = nil }
  open[fd] = connection
  in_flight = in_flight + 1
  if C.connect(fd, address, 16) ~= 0 and ffi.errno() ~= EINPROGRESS then
    return fail(fd, connection)
  end
  event.events, event.fd = send(fd, connection) and EPOLLIN or EPOLLOUT, fd
  C.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, event)
end

local function writable(fd, connection)
  soerror_length[0] = 4
  C.getsockopt(fd, SOL_SOCKET, SO_ERROR, soerror, soerror_length)
  if soerror[0] ~= 0 or not send(fd, connection) then
    return fail(fd, connection)
  end
  event.events, event.fd = EPOLLIN, fd
  C.epoll_ctl(epfd, EPOLL_CTL_MOD, fd, event)
end

local function readable(fd, connection)
  while true do
    local n = tonumber(C.recv(fd, buffer, 65536, 0))
    if n > 0 then
      if connection.head == nil or #connection.head < 12 then -- "HTTP/1.1 200"
        connection.head = (connection.head or "") .. ffi.string(buffer, math.min(n, 16))
      end
    elseif n == 0 then -- the server closed: the answer is complete
      local moment = now()
      local status = connection.head and tonumber(connection.head:match("^HTTP/1%.%d (%d%d%d)"))
      if status == nil then
        return fail(fd, connection)
      end
      if measured(connection.slot) then
        latencies[#latencies + 1] = (moment - connection.due) * 1e6
        statuses[status] = (statuses[status] or 0) + 1
      end
      return finish(fd)
    else
      local errno = ffi.errno()
      if errno == EAGAIN or errno == EINTR then return end
      return fail(fd, connection)
    end
  end
end

local origin = now() + 0.05
local next_slot = 0
local deadline = origin + (total - 1) / rate + tail
while true do
  local moment = now()
  while next_slot < total and in_flight < MAX_IN_FLIGHT do
    local due = origin + next_slot / rate
    if due > moment then break end
    start(next_slot, due, moment)
    next_slot = next_slot + 1
    moment = now()
  end
  if moment >= deadline or (next_slot >= total and in_flight == 0) then break end -- the unsent count as lost
  local until_next = next_slot < total and (origin + next_slot / rate - moment) or (deadline - moment)
  if in_flight >= MAX_IN_FLIGHT then until_next = 0.001 end
  until_next = math.max(0, until_next)
  wait.tv_sec = math.floor(until_next)
  wait.tv_nsec = math.floor((until_next - math.floor(until_next)) * 1e9)
  local count = C.epoll_pwait2(epfd, events, 256, wait, nil)
  for i = 0, count - 1 do
    local fd = tonumber(events[i].fd)
    local connection = open[fd]
    if connection then
      local flags = events[i].events
      if not connection.connected then
        if bit.band(flags, bit.bor(EPOLLOUT, EPOLLERR, EPOLLHUP)) ~= 0 then writable(fd, connection) end
      else
        readable(fd, connection)
      end
    end
  end
end

for fd in pairs(open) do -- no answer by the deadline: counted as unanswered by the caller
  C.close(fd)
end

local file = assert(io.open(out, "w"))
file:write(string.format("counts expected %d sent %d failures %d\n", total - first_measured, sent, failures))
file:write("latency_us ", table.concat(latencies, " "), "\n")
file:write("lag_us ", table.concat(lags, " "), "\n")
local counts = {}
for status, count in pairs(statuses) do
  counts[#counts + 1] = status .. "=" .. count
end
file:write("statuses ", table.concat(counts, " "), "\n")
file:close()
