using System.Diagnostics;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AkkaRepl.Testing.Waits;

namespace AkkaRepl.Testing.Browser;

/// <summary>
/// A real headless Chromium driven over the DevTools protocol (a <see cref="ClientWebSocket"/>, no driver package):
/// navigate, evaluate JavaScript, wait for a condition in the page, take a screenshot. One page per browser.
/// The browser is Debian's <c>chromium</c>; <see cref="EnsureInstalledAsync"/> installs it with apt when missing (as root).
/// Disposing kills the browser process (its own process tree, by id) and deletes its profile directory.
/// </summary>
public sealed partial class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _send = new(1, 1);
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex ListeningLine();

    /// <summary>The chromium binary on PATH, installing Debian's package first when it is missing.</summary>
    /// <exception cref="InvalidOperationException">It is missing and could not be installed (the message says why).</exception>
    public static async Task<string> EnsureInstalledAsync(CancellationToken ct)
    {
        var found = Which("chromium");
        if (found is not null) return found;
        var (code, output) = await RunAsync("apt-get", "install -y -q chromium", ct).ConfigureAwait(false);
        return Which("chromium") ?? throw new InvalidOperationException(
            $"chromium is not installed and 'apt-get install -y chromium' failed (exit {code}); install it by hand (as root). Output:\n{output}");
    }

    /// <summary>Starts the browser with a fresh profile and connects to its one page.</summary>
    public static async Task<HeadlessChromium> StartAsync(int width, int height, CancellationToken ct)
    {
        var binary = await EnsureInstalledAsync(ct).ConfigureAwait(false);
        var profile = Directory.CreateTempSubdirectory("akkarepl-chromium-").FullName;
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-extensions", "--remote-debugging-port=0", $"--user-data-dir={profile}", $"--window-size={width},{height}", "about:blank" })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("chromium did not start");
        var browser = new HeadlessChromium(process, profile);
        try
        {
            var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var stderr = new StringBuilder();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) { listening.TrySetException(new InvalidOperationException($"chromium exited before listening:\n{stderr}")); return; }
                lock (stderr) stderr.AppendLine(e.Data);
                if (ListeningLine().Match(e.Data) is { Success: true } m) listening.TrySetResult(m.Groups[1].Value);
            };
            process.OutputDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var browserUrl = new Uri(await listening.Task.WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var targets = JsonNode.Parse(await http.GetStringAsync($"http://{browserUrl.Authority}/json/list", ct).ConfigureAwait(false))!.AsArray();
            var page = targets.FirstOrDefault(t => (string?)t!["type"] == "page")
                       ?? throw new InvalidOperationException("chromium has no page target");
            await browser._socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), ct).ConfigureAwait(false);
            await browser.SendAsync("Page.enable", null, ct).ConfigureAwait(false);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task NavigateAsync(string url, CancellationToken ct) =>
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url }, ct).ConfigureAwait(false);

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value as JSON (null when undefined).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression, CancellationToken ct)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true }, ct).ConfigureAwait(false);
        if (result?["exceptionDetails"] is { } error) throw new InvalidOperationException($"page script failed: {error.ToJsonString()}");
        return result?["result"]?["value"];
    }

    /// <summary>Waits until <paramref name="expression"/> is true in the page (polled by <see cref="Eventually"/>; a
    /// script error while the page still loads counts as "not yet"); on timeout the message names the condition and the
    /// value of <paramref name="describe"/>, to show what the page showed instead.</summary>
    public async Task WaitForAsync(string expression, string what, TimeSpan timeout, CancellationToken ct, string describe = "document.body.innerText")
    {
        try
        {
            await Eventually.WaitAsync(async () => (await EvaluateAsync(expression, ct).ConfigureAwait(false))?.GetValueKind() == JsonValueKind.True,
                timeout, $"the page to show {what}", ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var shown = await EvaluateAsync(describe, ct).ConfigureAwait(false);
            throw new TimeoutException($"the page did not show {what} within {timeout.TotalSeconds:F0} s; it showed:\n{shown}");
        }
    }

    /// <summary>Writes a PNG of the page to <paramref name="path"/>.</summary>
    public async Task ScreenshotAsync(string path, CancellationToken ct)
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true }, ct).ConfigureAwait(false);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String((string)result!["data"]!), ct).ConfigureAwait(false);
    }

    /// <summary>Sends one command and reads until its reply (events in between are skipped: one caller at a time).</summary>
    private async Task<JsonNode?> SendAsync(string method, JsonObject? parameters, CancellationToken ct)
    {
        await _send.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var id = ++_nextId;
            var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
            await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
            var buffer = new byte[64 * 1024];
            while (true)
            {
                using var text = new MemoryStream();
                WebSocketReceiveResult received;
                do
                {
                    received = await _socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                    if (received.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException("chromium closed the DevTools connection");
                    text.Write(buffer, 0, received.Count);
                } while (!received.EndOfMessage);
                var reply = JsonNode.Parse(text.ToArray())!;
                if ((int?)reply["id"] != id) continue;
                if (reply["error"] is { } error) throw new InvalidOperationException($"DevTools {method} failed: {error.ToJsonString()}");
                return reply["result"];
            }
        }
        finally
        {
            _send.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException) { }
        _socket.Dispose();
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException) { }
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private static async Task<(int Code, string Output)> RunAsync(string file, string args, CancellationToken ct)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            var stderr = p.StandardError.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct).ConfigureAwait(false);
            return (p.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
