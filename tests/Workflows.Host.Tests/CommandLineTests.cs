using Workflows.Host.Features;

namespace Workflows.Host.Tests;

[NonParallelizable]
public sealed class CommandLineTests
{
    private string _directory = "";

    [SetUp]
    public void MakeAScratchFolder() => _directory = Directory.CreateTempSubdirectory("workflows-cli-").FullName;

    [TearDown]
    public void RemoveIt()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => await RunAsync(null, args);

    private static async Task<(int Code, string Output, string Error)> RunAsync(HttpMessageHandler? server, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CommandLine.RunAsync(args, output, error, server);
        return (code, output.ToString(), error.ToString());
    }

    private string Write(string name, string xml)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, xml);
        return path;
    }

    private const string Broken = """
        <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
          <bpmn:process id="broken" isExecutable="true">
            <bpmn:startEvent id="s"/>
            <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="nowhere"/>
          </bpmn:process>
        </bpmn:definitions>
        """;

    [Test]
    public async Task Validate_passes_the_journey_library_with_exit_code_0()
    {
        var files = Workflows.Processes.JourneyLibrary.All.Select(j => Write(j.Name, j.Xml)).ToArray();

        var (code, output, error) = await RunAsync(["validate", .. files]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.Zero, output + error);
            Assert.That(output, Is.Empty);
            Assert.That(error, Does.Contain("complaints.bpmn: 0 error(s), 0 warning(s)"));
        }
    }

    [Test]
    public async Task Validate_reports_each_finding_as_file_line_column_element_and_message_with_exit_code_1()
    {
        var path = Write("broken.bpmn", Broken);

        var (code, output, _) = await RunAsync("validate", path);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(1));
            Assert.That(output, Does.Match($@"^{System.Text.RegularExpressions.Regex.Escape(path)}:4:6: error \S+ \[f\] .*nowhere"));
        }
    }

    [Test]
    public async Task A_missing_file_or_verb_argument_is_named()
    {
        var (missing, _, missingError) = await RunAsync("validate", Path.Combine(_directory, "none.bpmn"));
        var (usage, _, usageError) = await RunAsync("validate");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(missing, Is.EqualTo(1));
            Assert.That(missingError, Does.Contain("none.bpmn: error: no such file"));
            Assert.That(usage, Is.EqualTo(2));
            Assert.That(usageError, Does.Contain("validate needs at least one BPMN file"));
        }
    }

    [Test]
    public async Task Feel_prints_the_value_as_JSON_with_the_context_given()
    {
        var (code, output, _) = await RunAsync("feel", "if amount > limit then \"back office\" else \"front desk\"", "--context", """{"amount": 400, "limit": 150}""");
        var (sum, sumOutput, _) = await RunAsync("feel", "sum([1, 2.5]) * 2");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.Zero);
            Assert.That(output.Trim(), Is.EqualTo("\"back office\""));
            Assert.That(sum, Is.Zero);
            Assert.That(decimal.Parse(sumOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(7m));
        }
    }

    [Test]
    public async Task Feel_reports_a_syntax_error_and_a_context_that_is_not_an_object()
    {
        var (code, _, error) = await RunAsync("feel", "1 +");
        var (context, _, contextError) = await RunAsync("feel", "x", "--context", "[1]");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(1));
            Assert.That(error, Does.StartWith("error: "));
            Assert.That(context, Is.EqualTo(2));
            Assert.That(contextError, Does.Contain("--context must be a JSON object, not a array"));
        }
    }

    [Test]
    public async Task Feel_refuses_a_context_naming_a_variable_twice_as_a_usage_error()
    {
        var (code, _, error) = await RunAsync("feel", "a", "--context", """{"a": 1, "a": 2}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(2), error);
            Assert.That(error, Does.Contain("--context is not JSON").And.Contain("'a'"));
        }
    }

    [Test]
    public async Task Feel_reports_an_expression_over_a_budget_naming_the_budget_and_exits_non_zero()
    {
        var (code, output, error) = await RunAsync("feel", "for x in 1..100000000 return x");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(1));
            Assert.That(output, Is.Empty);
            Assert.That(error, Does.StartWith("error: ").And.Contain("MaxCollectionSize").And.Contain("FeelLimits.MaxCollectionSize = 100000"));
        }
    }

    [Test]
    public async Task Migrate_db_migrates_the_configured_database()
    {
        var database = Path.Combine(_directory, "migrated.db");

        // Every migration the SQL store ships, so a new one does not break this test.
        var migrations = typeof(Workflows.Engine.Sql.SqlWorkflowEngine).Assembly.GetManifestResourceNames().Count(n => n.Contains(".Migrations.", StringComparison.Ordinal));

        var (code, output, _) = await RunAsync("migrate-db", $"--Workflows:Store:ConnectionString=Data Source={database}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.Zero);
            Assert.That(migrations, Is.GreaterThanOrEqualTo(5));
            Assert.That(output, Does.StartWith($"Sqlite: {migrations} migration(s) applied"));
            Assert.That(File.Exists(database), Is.True);
        }
    }

    [Test]
    public async Task Migrate_db_on_the_in_memory_store_is_a_usage_error_saying_there_is_no_database()
    {
        var (code, _, error) = await RunAsync("migrate-db", "--Workflows:Store:Provider=InMemory");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(error, Does.StartWith("error: migrate-db: Workflows:Store:Provider is InMemory, which has no database to migrate"));
        }
    }

    [Test]
    public async Task Deploy_signs_in_and_deploys_to_a_running_host_and_reports_refused_files()
    {
        await using var host = TestHost.Start();
        var good = Write("good.bpmn", """
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
              <bpmn:process id="cli-deployed" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/></bpmn:process>
            </bpmn:definitions>
            """);
        var bad = Write("broken.bpmn", Broken);
        using var server = host.Factory.Server.CreateHandler();

        var (code, output, error) = await RunAsync(server, "deploy", good, bad, "--server", "http://localhost", "--user", "alice", "--password", "demo");
        var (refused, _, refusedError) = await RunAsync(server, "deploy", good, "--server", "http://localhost", "--user", "ann", "--password", "demo");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(1), "one file was refused");
            Assert.That(output, Does.Contain("good.bpmn: cli-deployed version 1"));
            Assert.That(output, Does.Contain("broken.bpmn:4:6: error"));
            Assert.That(error, Does.Contain("broken.bpmn: 422"));
            Assert.That(refused, Is.EqualTo(1));
            Assert.That(refusedError, Does.Contain("403"), "an agent may not deploy");
        }
    }
    [Test]
    public async Task Validate_reads_a_relative_path_from_the_folder_the_command_was_typed_in()
    {
        Write("mine.bpmn", Broken);
        var previous = Environment.CurrentDirectory;
        int fromWorkingDirectory;
        string output;
        try
        {
            Environment.CurrentDirectory = _directory;
            (fromWorkingDirectory, output, _) = await RunAsync("validate", "mine.bpmn");
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }

        // As dotnet run calls it: from the host's project folder, with the folder the user typed the command in first.
        var (fromInvocation, invokedOutput, invokedError) = await RunAsync(CommandLine.InvokedFrom, _directory, "validate", "mine.bpmn");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(fromWorkingDirectory, Is.EqualTo(1), "the broken file was found and its findings reported");
            Assert.That(output, Does.StartWith("mine.bpmn:4:6: error"));
            Assert.That(fromInvocation, Is.EqualTo(1), invokedError);
            Assert.That(invokedOutput, Does.StartWith("mine.bpmn:4:6: error"));
            Assert.That(invokedError, Does.Not.Contain("no such file"));
            Assert.That(CommandLine.IsVerb([CommandLine.InvokedFrom, _directory, "validate", "mine.bpmn"]), Is.True);
        }
    }

    [Test]
    public async Task The_READMEs_validate_example_passes_when_typed_at_the_repository_root()
    {
        var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Workflows.sln")))
        {
            root = root.Parent;
        }

        Assert.That(root, Is.Not.Null, "the repository root (Workflows.sln) above the test's folder");
        var configuration = TestContext.CurrentContext.TestDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root!.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The README's line, with the journeys named as the shell would expand processes/Workflows.Processes/Journeys/*.bpmn.
        foreach (var argument in new[] { "run", "--project", "host", "--no-build", "-c", configuration, "--", "validate" })
        {
            start.ArgumentList.Add(argument);
        }

        var journeys = Directory.GetFiles(Path.Combine(root.FullName, "processes", "Workflows.Processes", "Journeys"), "*.bpmn")
            .Select(f => Path.GetRelativePath(root.FullName, f)).Order(StringComparer.Ordinal).ToList();
        journeys.ForEach(start.ArgumentList.Add);
        using var run = System.Diagnostics.Process.Start(start)!;
        var output = run.StandardOutput.ReadToEndAsync();
        var error = await run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.ExitCode, Is.Zero, await output + error);
            Assert.That(error, Does.Contain("processes/Workflows.Processes/Journeys/complaints.bpmn: 0 error(s)").And.Not.Contain("no such file"));
            Assert.That(journeys, Has.Count.GreaterThanOrEqualTo(5));
        }
    }
}
