using System.Runtime.InteropServices;

namespace AkkaRepl.Core.Threading;

/// <summary>
/// A Linux eventfd: a kernel counter one thread waits on and any thread signals, with one system call on each side
/// and no user-space lock (a <see cref="ManualResetEventSlim"/> that has a waiter takes a monitor and a condition
/// variable on both sides). Non-blocking; <see cref="Wait"/> waits with ppoll.
/// </summary>
public sealed unsafe partial class EventFd : IDisposable
{
    private const int EFD_NONBLOCK = 0x800;
    private const int EFD_CLOEXEC = 0x80000;
    private const short POLLIN = 1;
    private const int EINTR = 4;
    // A SafeHandle: a Signal racing with Dispose never writes to a descriptor number the process reused.
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle;

    /// <summary>Whether this platform has eventfd (Linux, 64-bit: the layout of the time value passed to ppoll).</summary>
    public static bool Supported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <exception cref="IOException">The kernel refused (the message says why).</exception>
    public EventFd()
    {
        var fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) throw Failed("eventfd");
        _handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>The descriptor, for an epoll set (valid until <see cref="Dispose"/>).</summary>
    public int Handle => (int)_handle.DangerousGetHandle();

    /// <summary>Adds one to the counter: wakes a waiter, or the next <see cref="Wait"/> returns at once.</summary>
    public void Signal()
    {
        var fd = AddRef();
        if (fd < 0) return;
        ulong one = 1;
        write(fd, &one, 8);
        _handle.DangerousRelease();
    }

    /// <summary>Waits until signalled or <paramref name="timeout"/> (null: no limit) passes, then resets the counter.
    /// Returns at once for a signal left from before; callers check their condition.</summary>
    public void Wait(TimeSpan? timeout)
    {
        var added = false;
        _handle.DangerousAddRef(ref added);
        try { WaitOn((int)_handle.DangerousGetHandle(), timeout); }
        finally { if (added) _handle.DangerousRelease(); }
    }

    private void WaitOn(int handle, TimeSpan? timeout)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            var fd = new PollFd { Fd = handle, Events = POLLIN };
            TimeSpec ts = default;
            if (timeout is { } t)
            {
                var ticks = Math.Max(0, (t - System.Diagnostics.Stopwatch.GetElapsedTime(started)).Ticks);
                ts = new TimeSpec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
            }
            var ready = ppoll(&fd, 1, timeout is null ? null : &ts, null);
            // A signal to the thread (the runtime sends some, e.g. to suspend it for a GC) ends ppoll early: wait on
            // for what is left, so a timeout is never cut short.
            if (ready < 0 && Marshal.GetLastPInvokeError() == EINTR) continue;
            ulong value;
            if (ready > 0) read(handle, &value, 8);
            return;
        }
    }

    /// <summary>Sets the counter back to zero (nothing happens if it is zero).</summary>
    public void Reset()
    {
        var fd = AddRef();
        if (fd < 0) return;
        ulong value;
        read(fd, &value, 8);
        _handle.DangerousRelease();
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>The descriptor, held open until DangerousRelease; -1 once disposed.</summary>
    private int AddRef()
    {
        var added = false;
        try { _handle.DangerousAddRef(ref added); }
        catch (ObjectDisposedException) { return -1; }
        return (int)_handle.DangerousGetHandle();
    }

    private static IOException Failed(string call)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initial, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, void* buffer, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, void* buffer, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ppoll(PollFd* fds, nuint count, TimeSpec* timeout, void* sigmask);
}
