using System.Diagnostics;

namespace Workflows.Host.Tests;

/// <summary>The repository's folders, and the Node.js scripts of host/web the tests run over files (lint, template checks).</summary>
internal static class WebScripts
{
    /// <summary>The repository's root: the folder above the test's that holds Workflows.sln.</summary>
    public static string Repository()
    {
        var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Workflows.sln")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new AssertionException("no Workflows.sln above the test's folder");
    }

    /// <summary>Runs <c>node <paramref name="script"/> FILE...</c> in host/web; its exit code and what it wrote (out, then error).</summary>
    public static async Task<(int Code, string Output)> RunAsync(string script, params string[] files)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = Path.Combine(Repository(), "host", "web"), RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var file in files)
        {
            start.ArgumentList.Add(file);
        }

        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var error = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        return (node.ExitCode, await output + await error);
    }
}
