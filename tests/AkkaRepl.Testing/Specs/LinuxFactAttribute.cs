using Xunit;

namespace AkkaRepl.Testing.Specs;

/// <summary>A fact about Linux-only code (eventfd, the RESP event loop's epoll): elsewhere it is reported as skipped
/// with the reason. CI runs on Linux x86-64, where every such fact runs.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    /// <param name="x64">Also needs x86-64 (code that declares x86-64's struct layouts).</param>
    public LinuxFactAttribute(bool x64 = false)
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
            Skip = "Linux-only code (64-bit)";
        else if (x64 && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
            Skip = "Linux x86-64-only code";
    }
}
