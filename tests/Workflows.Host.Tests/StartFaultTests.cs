using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Workflows.Engine.Sql;

namespace Workflows.Host.Tests;

/// <summary>
/// A start on a store that cannot be used fails at once, naming the database (without a password) and the setting
/// that names it; never "A task was canceled".
/// </summary>
[NonParallelizable]
public sealed class StartFaultTests
{
    private static readonly string s_key = Convert.ToBase64String(new byte[32]);

    [Test]
    public async Task A_start_on_a_read_only_database_file_fails_naming_the_file_and_the_setting()
    {
        await using var host = TestHost.Start();
        var file = Path.Combine(host.Directory, "host.db");
        await SqlWorkflowEngine.MigrateAsync(new SqlStoreOptions { ConnectionString = $"Data Source={file}" });
        SqliteConnection.ClearAllPools();
        await FileFaults.MakeReadOnlyAsync(file);
        try
        {
            var error = StartFailure(host);

            Assert.That(error, Is.InstanceOf<StoreUnavailableException>().With.Message.Contains(file)
                .And.Message.Contains("Workflows:Store:ConnectionString").And.Message.Contains("read-only"));
        }
        finally
        {
            await FileFaults.MakeWritableAsync(file);
        }
    }

    [Test]
    public async Task A_start_in_a_directory_that_takes_no_new_file_fails_naming_the_file_and_the_setting()
    {
        await using var host = TestHost.Start(new Dictionary<string, string> { ["Workflows__Auth__SigningKey"] = s_key });
        var file = Path.Combine(host.Directory, "host.db");
        await FileFaults.MakeReadOnlyAsync(host.Directory);
        try
        {
            var error = StartFailure(host);

            Assert.That(error, Is.InstanceOf<StoreUnavailableException>().With.Message.Contains(file)
                .And.Message.Contains("Workflows:Store:ConnectionString").And.Message.Contains("not writable"));
        }
        finally
        {
            await FileFaults.MakeWritableAsync(host.Directory);
        }
    }

    [Test]
    public async Task A_start_where_the_database_directory_cannot_be_made_fails_naming_the_file_and_both_settings()
    {
        // A regular file where the database's directory should be: nobody, root included, creates a directory there.
        await using var host = TestHost.Start();
        var blocker = Path.Combine(host.Directory, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "");
        var file = Path.Combine(blocker, "host.db");
        Environment.SetEnvironmentVariable("Workflows__Store__ConnectionString", $"Data Source={file}");

        var error = StartFailure(host);

        Assert.That(error, Is.InstanceOf<StoreUnavailableException>().With.Message.Contains(file)
            .And.Message.Contains("Workflows:Store:ConnectionString").And.Message.Contains("Workflows:Auth:SigningKey"));
    }

    [Test]
    public async Task A_start_on_a_database_another_process_holds_locked_fails_after_the_start_timeout_naming_both_settings()
    {
        await using var host = TestHost.Start(new Dictionary<string, string> { ["Workflows__Store__StartTimeout"] = "00:00:01" });
        var file = Path.Combine(host.Directory, "host.db");
        await SqlWorkflowEngine.MigrateAsync(new SqlStoreOptions { ConnectionString = $"Data Source={file}" });
        await using var holder = new SqliteConnection($"Data Source={file};Pooling=False");
        await holder.OpenAsync();
        await using (var exclusive = holder.CreateCommand())
        {
            exclusive.CommandText = "BEGIN EXCLUSIVE";
            await exclusive.ExecuteNonQueryAsync();
        }

        var watch = Stopwatch.StartNew();
        var error = StartFailure(host);
        watch.Stop();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error, Is.InstanceOf<StoreUnavailableException>().With.Message.Contains(file)
                .And.Message.Contains("Workflows:Store:ConnectionString").And.Message.Contains("locked").And.Message.Contains("Workflows:Store:StartTimeout"));
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(25)), "the start waited its start timeout for the lock, not the 30 s busy timeout of commands");
        }
    }

    [Test]
    public async Task A_start_on_an_unreachable_PostgreSQL_fails_naming_the_connection_without_its_password_and_the_setting()
    {
        // A port nothing listens on: taken, then let go.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var host = TestHost.Start(new Dictionary<string, string>
        {
            ["Workflows__Store__Provider"] = "PostgreSql",
            ["Workflows__Store__ConnectionString"] = $"Host=127.0.0.1;Port={port};Username=workflows;Password=very-secret-9;Database=workflows;Timeout=5",
            ["Workflows__Auth__SigningKey"] = s_key,
        });

        var error = StartFailure(host);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error, Is.InstanceOf<StoreUnavailableException>().With.Message.Contains($"port={port}")
                .And.Message.Contains("Workflows:Store:ConnectionString").And.Message.Contains("does not answer"));
            Assert.That(error!.ToString(), Does.Not.Contain("very-secret-9"), "the password stays out of the message");
        }
    }

    [Test]
    public async Task The_host_process_started_on_a_database_another_process_locks_stops_naming_the_file_and_both_settings_not_a_cancellation()
    {
        var directory = Directory.CreateTempSubdirectory("workflows-startfault-").FullName;
        var file = Path.Combine(directory, "host.db");
        try
        {
            await SqlWorkflowEngine.MigrateAsync(new SqlStoreOptions { ConnectionString = $"Data Source={file}" });
            await using var holder = new SqliteConnection($"Data Source={file};Pooling=False");
            await holder.OpenAsync();
            await using (var exclusive = holder.CreateCommand())
            {
                exclusive.CommandText = "BEGIN EXCLUSIVE";
                await exclusive.ExecuteNonQueryAsync();
            }

            var (code, output) = await RunHostProcessAsync(file, ("Workflows__Store__StartTimeout", "00:00:02"));

            using (Assert.EnterMultipleScope())
            {
                Assert.That(code, Is.Not.Zero.And.Not.EqualTo(-1), $"the host stops with an error, within its start timeout: {output}");
                Assert.That(output, Does.Contain(file).And.Contain("Workflows:Store:ConnectionString").And.Contain("locked").And.Contain("Workflows:Store:StartTimeout"));
                Assert.That(output, Does.Not.Contain("A task was canceled").And.Not.Contain("TaskCanceledException"));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task The_host_process_started_on_a_read_only_database_file_stops_naming_the_file_and_the_setting_not_a_cancellation()
    {
        var directory = Directory.CreateTempSubdirectory("workflows-startfault-").FullName;
        var file = Path.Combine(directory, "host.db");
        try
        {
            await SqlWorkflowEngine.MigrateAsync(new SqlStoreOptions { ConnectionString = $"Data Source={file}" });
            SqliteConnection.ClearAllPools();
            await FileFaults.MakeReadOnlyAsync(file);

            var (code, output) = await RunHostProcessAsync(file);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(code, Is.Not.Zero.And.Not.EqualTo(-1), $"the host stops with an error, within its start timeout: {output}");
                Assert.That(output, Does.Contain(file).And.Contain("Workflows:Store:ConnectionString").And.Contain("read-only"));
                Assert.That(output, Does.Not.Contain("A task was canceled").And.Not.Contain("TaskCanceledException"));
            }
        }
        finally
        {
            await FileFaults.MakeWritableAsync(file);
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Runs the built host as its own process on <paramref name="file"/> until it exits (at most 90 s): its exit code and output.</summary>
    private static async Task<(int Code, string Output)> RunHostProcessAsync(string file, params (string Name, string Value)[] settings)
    {
        var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Workflows.sln")))
        {
            root = root.Parent;
        }

        var hostDirectory = Path.Combine(root!.FullName, "host", "bin", "Release", "net10.0");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(hostDirectory, "Workflows.Host.dll")])
        {
            WorkingDirectory = Path.GetDirectoryName(file)!, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["Workflows__Store__Provider"] = "Sqlite";
        start.Environment["Workflows__Store__ConnectionString"] = $"Data Source={file}";
        start.Environment["Workflows__Auth__SigningKey"] = s_key;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, "the host did not exit within 90 s: " + await output + await error);
        }

        return (process.ExitCode, await output + await error);
    }

    /// <summary>The exception the start fails with; never a cancellation.</summary>
    private static Exception? StartFailure(TestHost host)
    {
        var error = Assert.Catch(() => host.Factory.CreateClient(), "the start fails");
        Assert.That(error, Is.Not.InstanceOf<OperationCanceledException>(), error?.ToString());
        Assert.That(error!.Message, Does.Not.Contain("canceled"));
        return error;
    }
}
