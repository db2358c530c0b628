using System.Diagnostics;

namespace Workflows.Host.Tests;

/// <summary>
/// Makes files and directories read-only for the host as a failing or remounted disk would, and writable again.
/// </summary>
/// <remarks>
/// The mode bits (0444 for a file, 0555 for a directory) stop every user but root, which writes through them: as
/// root the entries are also made immutable (<c>chattr +i</c>, which holds for root too).
/// </remarks>
internal static class FileFaults
{
    private static readonly bool s_root = Environment.UserName == "root";

    public static async Task MakeReadOnlyAsync(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Fail("file faults are made with Unix modes");
            return;
        }

        var directory = Directory.Exists(path);
        File.SetUnixFileMode(path, directory
            ? UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
            : UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        if (s_root)
        {
            await ChattrAsync("+i", path);
        }
    }

    public static async Task MakeWritableAsync(string path)
    {
        if (OperatingSystem.IsWindows() || !Path.Exists(path))
        {
            return;
        }

        if (s_root)
        {
            await ChattrAsync("-i", path);
        }

        File.SetUnixFileMode(path, Directory.Exists(path)
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static async Task ChattrAsync(string change, string path)
    {
        using var chattr = Process.Start(new ProcessStartInfo("chattr", [change, path]) { RedirectStandardError = true, UseShellExecute = false })!;
        var error = await chattr.StandardError.ReadToEndAsync();
        await chattr.WaitForExitAsync();
        Assert.That(chattr.ExitCode, Is.Zero, $"running as root, the test makes {path} immutable with chattr {change}, which failed: {error}");
    }
}
