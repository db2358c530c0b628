using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Workflows.Bench.Http;

/// <summary>What the figures of a run depend on besides the product: the disk's flush rate and the machine's load.</summary>
internal static partial class Machine
{
    /// <summary>
    /// How many 4 KiB overwrites, each followed by <c>fdatasync</c>, the disk takes per second in
    /// <paramref name="directory"/> over <paramref name="duration"/>: the ceiling of a store that flushes once per
    /// commit (SQLite in WAL mode with <c>synchronous=FULL</c> flushes the WAL with <c>fdatasync</c> like this).
    /// </summary>
    public static double FlushRate(string directory, TimeSpan duration)
    {
        var path = Path.Combine(directory, "flush-rate.bin");
        try
        {
            using var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
            var handle = file.SafeFileHandle;
            var block = new byte[4096];
            RandomAccess.Write(handle, block, 0);
            file.Flush(flushToDisk: true);
            var fd = (int)handle.DangerousGetHandle();
            var count = 0;
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < duration)
            {
                block[0] = (byte)count;
                RandomAccess.Write(handle, block, 0);
                if (OperatingSystem.IsLinux())
                {
                    if (FDataSync(fd) != 0)
                    {
                        throw new IOException($"fdatasync failed with errno {Marshal.GetLastPInvokeError()} in {directory}");
                    }
                }
                else
                {
                    file.Flush(flushToDisk: true);
                }

                count++;
            }

            return count / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The 1-, 5- and 15-minute load averages (<c>/proc/loadavg</c>), or "n/a" where there is none.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>The commit the repository is at (short), or "unknown".</summary>
    public static string Commit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", Shapes.RepositoryRoot(), "rev-parse", "--short", "HEAD"]) { RedirectStandardOutput = true, UseShellExecute = false });
            var text = git!.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? text : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    /// <summary>
    /// A bearer token of these claims signed HS256 with <paramref name="key"/> (base 64), issuer and audience
    /// <c>workflows</c>, with its own <c>jti</c>: what an identity provider sharing the host's key issues (README, "Roles
    /// and sign-in"). The driver's users (up to 20 agents) are not demo users, and the demo sign-in is rate limited.
    /// </summary>
    public static string Token(string key, string subject, string role, string branch, params string[] queues)
    {
        static string Part(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["role"] = role,
            ["branch"] = branch,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iss"] = "workflows",
            ["aud"] = "workflows",
            ["iat"] = now,
            ["nbf"] = now - 60,
            // Long enough for a fill to a million open tasks; the host bounds only the demo sign-in's lifetime.
            ["exp"] = now + (long)TimeSpan.FromHours(12).TotalSeconds,
        };
        if (queues.Length > 0)
        {
            payload["queue"] = queues;
        }

        var unsigned = Part("""{"alg":"HS256","typ":"JWT"}"""u8) + "." + Part(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = HMACSHA256.HashData(Convert.FromBase64String(key), Encoding.ASCII.GetBytes(unsigned));
        return unsigned + "." + Part(signature);
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(int fd);
}
