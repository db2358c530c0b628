using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>
/// The built host's idle thread-pool workers sleep without spinning first (BENCHMARKS.md, issue 19 round 12: a spinning
/// worker took the cores the requests' work needed): the setting is in the runtime configuration the host starts with.
/// </summary>
public sealed class ThreadPoolSettingTests
{
    private const string SpinLimit = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";

    [Test]
    public void The_built_host_s_runtime_configuration_turns_the_thread_pool_s_spinning_off()
    {
        // Beside the host's assembly as this build copied it, and beside the host built in the tests' own configuration
        // (bin/<configuration>/net10.0: Release for the load driver and the process tests), which a Debug run has not built.
        var testDirectory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        var configuration = testDirectory.Parent!.Name;
        var root = testDirectory;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Workflows.sln")))
        {
            root = root.Parent;
        }

        var copied = Path.ChangeExtension(typeof(Program).Assembly.Location, ".runtimeconfig.json");
        var built = Path.Combine(root!.FullName, "host", "bin", configuration, "net10.0", "Workflows.Host.runtimeconfig.json");
        using (Assert.EnterMultipleScope())
        {
            foreach (var file in new[] { copied, built })
            {
                Assert.That(File.Exists(file), Is.True, $"{file} exists");
                if (File.Exists(file))
                {
                    using var json = JsonDocument.Parse(File.ReadAllText(file));
                    var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
                    Assert.That(properties.TryGetProperty(SpinLimit, out var limit) ? limit.GetInt32() : (int?)null, Is.EqualTo(0), $"{SpinLimit} in {file}");
                }
            }
        }
    }
}
