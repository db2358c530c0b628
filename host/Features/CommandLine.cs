using System.Net.Http.Headers;
using System.Text.Json;
using Workflows.Engine;
using Workflows.Engine.Feel;
using Workflows.Engine.Sql;

namespace Workflows.Host.Features;

/// <summary>
/// The host's verbs for analysts and operators, run instead of the server when the first argument names one:
/// <c>validate FILE…</c>, <c>deploy FILE… --server URL</c>, <c>migrate-db</c>, <c>feel EXPRESSION [--context JSON]</c>,
/// <c>decide FILE.dmn --decision ID [--context JSON]</c>, <c>dmn-tck DIR</c>.
/// Exit code 0 on success, 1 on findings or failure, 2 on a wrong command line.
/// </summary>
internal static class CommandLine
{
    private const string Usage = """
        usage:
          validate FILE...                       check BPMN files; each finding as file:line:column: severity code [element] message
          deploy FILE... --server URL            deploy to a running host (--token TOKEN, or --user NAME --password PASSWORD,
                                                 or the WORKFLOWS_TOKEN environment variable)
          migrate-db                             migrate the configured database (Workflows:Store) and stop
          feel EXPRESSION [--context JSON]       evaluate a FEEL expression and print its value as JSON
          decide FILE.dmn --decision ID [--context JSON]
                                                 evaluate a DMN decision (id or name) and print its value as JSON
          dmn-tck DIR                            run the DMN TCK test cases under DIR; a line per result, then N/M passed
        """;

    private static readonly string[] Verbs = ["validate", "deploy", "migrate-db", "feel", "decide", "dmn-tck", "help", "--help"];

    /// <summary>
    /// The option <c>dotnet run</c> puts first (the project's <c>RunArguments</c>): the folder the command was typed in.
    /// The Web SDK runs the host in its project folder (so that the server finds <c>wwwroot</c>), which would make
    /// <c>validate processes/…</c> typed at the repository root look for <c>host/processes/…</c>.
    /// </summary>
    public const string InvokedFrom = "--invoked-from";

    public static bool IsVerb(string[] args) => Invocation(args).Args is [var verb, ..] && Verbs.Contains(verb, StringComparer.Ordinal);

    /// <summary>The arguments without <see cref="InvokedFrom"/>, and the folder relative paths are read from: that option's, else the working directory.</summary>
    private static (string[] Args, string Directory) Invocation(string[] args) =>
        args is [InvokedFrom, var folder, .. var rest] && folder.Length > 0 && Directory.Exists(folder)
            ? (rest, folder)
            : (args is [InvokedFrom, _, .. var others] ? others : args, Environment.CurrentDirectory);

    /// <param name="args">The verb and its arguments.</param>
    /// <param name="output">Where results go (standard output).</param>
    /// <param name="error">Where errors and summaries go (standard error).</param>
    /// <param name="server">How deploy reaches the server; null for the network (tests pass an in-process server).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null, HttpMessageHandler? server = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        (args, var directory) = Invocation(args);
        try
        {
            return args[0] switch
            {
                "validate" => await ValidateAsync(Files(args, directory), output, error),
                "deploy" => await DeployAsync(args, directory, output, error, server),
                "migrate-db" => await MigrateAsync(args, output),
                "feel" => Feel(args, output, error),
                "decide" => await DecisionVerbs.DecideAsync(args, directory, output, error),
                "dmn-tck" => await DecisionVerbs.TckAsync(args, directory, output, error),
                _ => Help(output),
            };
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            await error.WriteLineAsync(Usage);
            return 2;
        }
    }

    private static int Help(TextWriter output)
    {
        output.WriteLine(Usage);
        return 0;
    }

    /// <summary>The files the arguments name, as the user typed them (for messages) and as found (resolved against <paramref name="directory"/>).</summary>
    private static List<(string Name, string Path)> Files(string[] args, string directory)
    {
        var files = new List<(string Name, string Path)>();
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                i++; // an option's value
                continue;
            }

            files.Add((args[i], Path.GetFullPath(args[i], directory)));
        }

        return files.Count > 0 ? files : throw new UsageException($"{args[0]} needs at least one BPMN file");
    }

    internal static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at < 0 ? null : at + 1 < args.Length ? args[at + 1] : throw new UsageException($"{name} needs a value");
    }

    private static async Task<int> ValidateAsync(IReadOnlyList<(string Name, string Path)> files, TextWriter output, TextWriter error)
    {
        // Offline: no store records which job types workers serve, so none would count as served.
        var engine = new WorkflowEngine(new WorkflowEngineOptions { WarnAboutUnservedJobTypes = false });
        var failed = false;
        foreach (var (file, path) in files)
        {
            if (!File.Exists(path))
            {
                await error.WriteLineAsync(file == path ? $"{file}: error: no such file" : $"{file}: error: no such file ({path})");
                failed = true;
                continue;
            }

            var report = await engine.Deployments.ValidateAsync(await File.ReadAllTextAsync(path));
            foreach (var f in report.Findings)
            {
                await output.WriteLineAsync($"{file}:{f.Line}:{f.Column}: {f.Severity.ToString().ToLowerInvariant()} {f.Code} [{f.ElementId ?? "-"}] {f.Message}");
            }

            failed |= report.HasErrors;
            await error.WriteLineAsync($"{file}: {report.Errors.Count()} error(s), {report.Warnings.Count()} warning(s)");
        }

        return failed ? 1 : 0;
    }

    private static async Task<int> DeployAsync(string[] args, string directory, TextWriter output, TextWriter error, HttpMessageHandler? server)
    {
        var url = Option(args, "--server") ?? throw new UsageException("deploy needs --server URL");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri))
        {
            throw new UsageException($"--server '{url}' is not an absolute URL");
        }

        using var http = server is null ? new HttpClient() : new HttpClient(server, disposeHandler: false);
        http.BaseAddress = baseUri;
        http.Timeout = TimeSpan.FromMinutes(1);
        var token = Option(args, "--token") ?? Environment.GetEnvironmentVariable("WORKFLOWS_TOKEN");
        if (token is null && Option(args, "--user") is { } user)
        {
            using var signIn = await http.PostAsJsonAsync("/api/auth/sign-in", new { username = user, password = Option(args, "--password") ?? "" });
            if (!signIn.IsSuccessStatusCode)
            {
                await error.WriteLineAsync($"sign-in as {user} failed: {(int)signIn.StatusCode} {await signIn.Content.ReadAsStringAsync()}");
                return 1;
            }

            token = (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        }

        if (token is null)
        {
            throw new UsageException("deploy needs --token, --user and --password, or WORKFLOWS_TOKEN");
        }

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var failed = false;
        foreach (var (file, path) in Files(args, directory))
        {
            if (!File.Exists(path))
            {
                await error.WriteLineAsync($"{file}: error: no such file ({path})");
                failed = true;
                continue;
            }

            using var content = new StringContent(await File.ReadAllTextAsync(path), System.Text.Encoding.UTF8, "application/xml");
            using var response = await http.PostAsync("/api/definitions", content);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (response.IsSuccessStatusCode)
            {
                foreach (var process in body.GetProperty("processes").EnumerateArray())
                {
                    await output.WriteLineAsync($"{file}: {process.GetProperty("processId").GetString()} version {process.GetProperty("version").GetInt32()}{(process.GetProperty("isNew").GetBoolean() ? "" : " (unchanged)")}");
                }

                continue;
            }

            failed = true;
            await error.WriteLineAsync($"{file}: {(int)response.StatusCode} {(body.TryGetProperty("detail", out var d) ? d.GetString() : body.GetProperty("title").GetString())}");
            if (body.TryGetProperty("findings", out var findings))
            {
                foreach (var f in findings.EnumerateArray())
                {
                    await output.WriteLineAsync($"{file}:{f.GetProperty("line").GetInt32()}:{f.GetProperty("column").GetInt32()}: {f.GetProperty("severity").GetString()} {f.GetProperty("code").GetString()} [{(f.TryGetProperty("elementId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : "-")}] {f.GetProperty("message").GetString()}");
                }
            }
        }

        return failed ? 1 : 0;
    }

    private static async Task<int> MigrateAsync(string[] args, TextWriter output)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args.Skip(1).ToArray())
            .Build();
        if (HostStore.IsInMemory(configuration))
        {
            throw new UsageException($"migrate-db: Workflows:Store:Provider is {HostStore.InMemoryProvider}, which has no database to migrate");
        }

        SqlStoreOptions store;
        try
        {
            store = HostStore.Read(configuration, environment: null).Sql!;
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"migrate-db: {HostingExtensions.Plain(e)}");
        }

        var applied = await SqlWorkflowEngine.MigrateAsync(store);
        await output.WriteLineAsync($"{store.Provider}: {applied} migration(s) applied; the schema is up to date");
        return 0;
    }

    private static int Feel(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length < 2 || args[1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new UsageException("feel needs an expression");
        }

        var context = ContextOption(args);

        try
        {
            var result = FeelInterpreter.Evaluate(args[1], context);
            output.WriteLine(FeelConvert.ToJson(result.Value));
            foreach (var warning in result.Warnings)
            {
                error.WriteLine($"warning: {warning}");
            }

            return 0;
        }
        catch (FeelSyntaxException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (FeelLimitExceededException e)
        {
            // The message names the budget and its setting (FeelLimits.MaxSteps = 1000000): the expression was refused, not the tool.
            error.WriteLine($"error: the expression went over a FEEL budget ({e.Setting}): {e.Message}");
            return 1;
        }
    }

    /// <summary>The <c>--context</c> option as a JSON object's members; null when absent.</summary>
    internal static IReadOnlyDictionary<string, object?>? ContextOption(string[] args)
    {
        if (Option(args, "--context") is not { } json)
        {
            return null;
        }

        try
        {
            // A name given twice is refused as the API refuses it, rather than failing on the dictionary below.
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false });
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())
                : throw new UsageException($"--context must be a JSON object, not a {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
        }
        catch (JsonException e)
        {
            throw new UsageException($"--context is not JSON: {e.Message}");
        }
    }

    internal sealed class UsageException(string message) : Exception(message);
}
