using System.Runtime.InteropServices;

namespace AkkaRepl.Server.Resp.Loop;

/// <summary>
/// The few Linux calls the RESP event loop makes itself (epoll, recv, send), as libc exports them. Only used
/// where <see cref="Supported"/> holds: the layout of <see cref="EpollEvent"/> below is x86-64's (packed, 12 bytes).
/// </summary>
internal static unsafe partial class LinuxSockets
{
    public const int EAGAIN = 11;
    public const int EINTR = 4;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 0x80000000;

    private const int EPOLL_CLOEXEC = 0x80000;
    private const int EPOLL_CTL_ADD = 1;
    private const int EPOLL_CTL_DEL = 2;
    private const int MSG_DONTWAIT = 0x40;
    private const int MSG_NOSIGNAL = 0x4000;

    /// <summary>Linux on x86-64: the only platform whose struct layout this file declares.</summary>
    public static bool Supported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, EpollEvent* events, int maxEvents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    public static int CreateEpoll() => Check(epoll_create1(EPOLL_CLOEXEC), "epoll_create1");

    public static void Add(int epfd, int fd, uint events, ulong data)
    {
        var ev = new EpollEvent { Events = events, Data = data };
        Check(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl(ADD)");
    }

    /// <summary>Removes <paramref name="fd"/> from the set; an fd already gone is not an error.</summary>
    public static void Remove(int epfd, int fd)
    {
        var ev = default(EpollEvent);
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
    }

    /// <summary>Waits for events; 0 when interrupted by a signal.</summary>
    public static int Wait(int epfd, EpollEvent* events, int max, int timeoutMs)
    {
        var n = epoll_wait(epfd, events, max, timeoutMs);
        if (n >= 0) return n;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == EINTR) return 0;
        throw new IOException($"epoll_wait failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    /// <summary>Bytes received; 0 at end of stream; -1 when nothing is there now (EAGAIN). Throws on a socket error.</summary>
    public static int Receive(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = recv(fd, p, (nuint)buffer.Length, MSG_DONTWAIT);
                if (n >= 0) return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                if (errno == EAGAIN) return -1;
                throw SocketError(errno, "receive");
            }
        }
    }

    /// <summary>Bytes sent (fewer than asked when the socket's buffer is full, 0 if none fit). Throws on a socket error.</summary>
    public static int Send(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = send(fd, p, (nuint)buffer.Length, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n >= 0) return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                if (errno == EAGAIN) return 0;
                throw SocketError(errno, "send");
            }
        }
    }

    public static void Close(int fd) => close(fd);

    private static int Check(int result, string call)
    {
        if (result >= 0) return result;
        var errno = Marshal.GetLastPInvokeError();
        throw new IOException($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    private static IOException SocketError(int errno, string what) =>
        new($"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
}
