using System.ComponentModel;
using System.Diagnostics;

namespace Workflows.Host.Tests;

/// <summary>
/// Real storage faults made with the operating system, for a host whose connections are already open: a directory on
/// a size-limited tmpfs that can be filled up and freed, and files made immutable (<c>chattr +i</c>), which refuses
/// writes even through descriptors opened before, and even to root (mode bits stop neither).
/// </summary>
/// <remarks>
/// Compiled into the store's tests too (a group commit cut by a full disk), hence NUnit named in full.
/// Both need root (CAP_SYS_ADMIN to mount, CAP_LINUX_IMMUTABLE to make a file immutable) and an ext2/3/4 or XFS
/// file system for immutable files (tmpfs takes the flag but ignores it for open descriptors). Where a mechanism is
/// missing the test is ignored, naming it; under <c>CI=true</c> it fails instead, as a missing PostgreSQL does.
/// </remarks>
internal static class StorageMechanisms
{
    /// <summary>Ignores the test naming <paramref name="reason"/>; under CI=true fails it.</summary>
    public static void Unavailable(string reason)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            NUnit.Framework.Assert.Fail($"{reason}; under CI=true every storage fault mechanism must be available");
        }

        NUnit.Framework.Assert.Ignore(reason);
    }

    /// <summary>Checks that an immutable file in <paramref name="directory"/> refuses writes through a descriptor opened before.</summary>
    public static async Task RequireImmutableFilesAsync(string directory)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Unavailable("a read-only database under load is made with chattr +i, which needs Linux and root (mode bits do not stop open descriptors, nor root)");
        }

        var probe = Path.Combine(directory, "immutable-probe");
        await using (var open = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
        {
            open.Write([1]);
            var (code, error) = await RunAsync("chattr", "+i", probe);
            if (code != 0)
            {
                Unavailable($"chattr +i does not work in {directory}: {error}");
            }

            var refused = false;
            try
            {
                open.Write([2]);
            }
            catch (IOException)
            {
                refused = true;
            }
            catch (UnauthorizedAccessException)
            {
                refused = true;
            }

            await RunAsync("chattr", "-i", probe);
            if (!refused)
            {
                File.Delete(probe);
                Unavailable($"the file system of {directory} takes chattr +i but still writes through open descriptors (tmpfs does)");
            }
        }

        File.Delete(probe);
    }

    /// <summary>Makes the files that exist of <paramref name="paths"/> immutable, or writable again.</summary>
    public static async Task SetImmutableAsync(bool immutable, params string[] paths)
    {
        foreach (var path in paths.Where(File.Exists))
        {
            var (code, error) = await RunAsync("chattr", immutable ? "+i" : "-i", path);
            NUnit.Framework.Assert.That(code, NUnit.Framework.Is.Zero, $"chattr {(immutable ? "+i" : "-i")} {path}: {error}");
        }
    }

    public static async Task<(int Code, string Error)> RunAsync(string file, params string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })!;
            var error = process.StandardError.ReadToEndAsync();
            _ = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, (await error).Trim());
        }
        catch (Win32Exception e)
        {
            return (-1, $"{file} cannot be run: {e.Message}");
        }
    }
}

/// <summary>A directory on a tmpfs of a given size, mounted for one test: filled up to the last byte, and freed.</summary>
internal sealed class SizeLimitedDirectory : IAsyncDisposable
{
    private readonly string _filler;

    private readonly int _megabytes;

    private SizeLimitedDirectory(string path, int megabytes)
    {
        _megabytes = megabytes;
        Path = path;
        _filler = System.IO.Path.Combine(path, "filler");
    }

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="megabytes"/> MB on a new temporary directory; ignores the test (fails it under CI) where mounting is not permitted.</summary>
    public static async Task<SizeLimitedDirectory> MountAsync(int megabytes)
    {
        var path = Directory.CreateTempSubdirectory("workflows-tmpfs-").FullName;
        var (code, error) = OperatingSystem.IsLinux() ? await StorageMechanisms.RunAsync("mount", "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0700", "tmpfs", path) : (-1, "not Linux");
        if (code != 0)
        {
            Directory.Delete(path);
            StorageMechanisms.Unavailable($"a full disk is made with a size-limited tmpfs, which cannot be mounted here (mount -t tmpfs -o size={megabytes}m: {error}); it needs root with CAP_SYS_ADMIN");
        }

        return new SizeLimitedDirectory(path, megabytes);
    }

    /// <summary>Writes a file until the file system has no byte left.</summary>
    public void Fill()
    {
        using var filler = new FileStream(_filler, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        var chunk = new byte[64 * 1024];
        foreach (var size in new[] { chunk.Length, 4096, 512, 1 })
        {
            try
            {
                while (true)
                {
                    filler.Write(chunk, 0, size);
                    NUnit.Framework.Assert.That(filler.Length, NUnit.Framework.Is.LessThan(_megabytes * 2L * 1024 * 1024), "the tmpfs holds no more than its size");
                }
            }
            catch (IOException)
            {
                // no room for a write of this size (part of it may have been written): from the end, try smaller ones
                filler.Seek(0, SeekOrigin.End);
            }
        }
    }

    /// <summary>Deletes what <see cref="Fill"/> wrote.</summary>
    public void Free() => File.Delete(_filler);

    public async ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var (code, _) = await StorageMechanisms.RunAsync("umount", Path);
        if (code != 0)
        {
            await StorageMechanisms.RunAsync("umount", "-l", Path); // a descriptor still open somewhere: detach now, freed when it closes
        }

        Directory.Delete(Path, recursive: true);
    }
}
