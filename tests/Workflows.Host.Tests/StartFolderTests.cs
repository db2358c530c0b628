using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Workflows.Host.Tests;

/// <summary>
/// The host started from a directory that is not its own still reads its settings and serves its pages from its own
/// folder, and logs nothing per request at Information.
/// </summary>
[NonParallelizable]
public sealed class StartFolderTests
{
    [Test]
    public async Task A_host_started_from_another_directory_takes_its_own_folder_as_content_root_and_logs_no_request_line()
    {
        var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Workflows.sln")))
        {
            root = root.Parent;
        }

        var hostDirectory = Path.Combine(root!.FullName, "host", "bin", "Release", "net10.0");
        var elsewhere = Directory.CreateTempSubdirectory("workflows-elsewhere-").FullName;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(hostDirectory, "Workflows.Host.dll")])
        {
            WorkingDirectory = elsewhere,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = url;
        start.Environment["Workflows__Store__ConnectionString"] = $"Data Source={Path.Combine(elsewhere, "workflows.db")}";
        var output = new ConcurrentQueue<string>();
        using var host = Process.Start(start)!;
        host.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        host.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            var watch = Stopwatch.StartNew();
            while (true)
            {
                Assert.That(host.HasExited, Is.False, () => "the host runs: " + string.Join(Environment.NewLine, output));
                try
                {
                    if ((await client.GetAsync("/health/ready")).IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }

                Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromMinutes(2)), () => "the host became ready: " + string.Join(Environment.NewLine, output));
                await Task.Delay(200);
            }

            var script = await client.GetAsync("/app/common.js");
            var signIn = await client.GetAsync("/signin");
            var logged = string.Join(Environment.NewLine, output);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(script.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the pages' scripts are served");
                Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the sign-in page is served");
                Assert.That(logged, Does.Contain("Content root path: " + hostDirectory), "the content root is the host's folder");
                Assert.That(logged, Does.Not.Contain("Request starting").And.Not.Contain("Request finished"), "no request is logged at Information");
                Assert.That(File.Exists(Path.Combine(elsewhere, "workflows.db")), Is.True, "the database is where the settings say");
            }
        }
        finally
        {
            host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
            Directory.Delete(elsewhere, recursive: true);
        }
    }
}
