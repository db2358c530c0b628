using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Workflows.Host.Tests;

/// <summary>
/// Stored data that no longer reads, met over HTTP (review13 F9, F16): the customer's own case is shown as being looked
/// at, never with the engine's reason, while staff of its branch read why; and a stored row's JSON that does not parse is
/// never answered as the caller's "Bad JSON" 400.
/// </summary>
[NonParallelizable]
public sealed class UnreadableStoredDataApiTests
{
    [Test]
    public async Task A_customers_own_case_whose_state_cannot_be_read_is_shown_as_being_looked_at_and_staff_read_why()
    {
        await using var host = TestHost.Start();
        var carla = await host.As("carla");
        var raised = await carla.PostJsonAsync("/api/instances", new { journey = "complaint", branch = "paris-01", variables = new { summary = "router broken" } }, HttpStatusCode.Created);
        var id = raised.GetProperty("id").GetString()!;
        await UnreadableStates.PoisonAsync(host, id);

        using var view = await carla.GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative));
        var text = await view.Content.ReadAsStringAsync();
        using var staff = await (await host.As("ann")).GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative));
        var why = await staff.ProblemAsync(HttpStatusCode.Conflict);
        var json = System.Text.Json.JsonDocument.Parse(text).RootElement;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(view.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            Assert.That(json.GetProperty("status").GetString(), Is.EqualTo("being looked at"));
            Assert.That(json.GetProperty("promise").GetString(), Is.EqualTo("Complaint answered within 48 business hours"), "what its rows say is still shown");
            Assert.That(json.GetProperty("questions").GetArrayLength(), Is.Zero);
            Assert.That(text, Does.Not.Contain("cannot be read").And.Not.Contain("evil").And.Not.Contain("state"), "nothing internal");
            Assert.That(why, Does.Contain("cannot be read").And.Contain("'evil'"), "staff of its branch read why");
        }
    }

    [Test]
    public async Task A_stored_job_row_that_does_not_parse_is_not_answered_as_the_callers_bad_json()
    {
        const string type = "stored-row-check";
        await using var host = TestHost.Start();
        await (await host.As("alice")).DeployAsync(TestJourneys.ServiceTask(type, type));
        var ann = await host.As("ann");
        var id = await ann.StartAsync(type);
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(host.Directory, "host.db")}"))
        {
            await connection.OpenAsync();
            await using var tamper = connection.CreateCommand();
            tamper.CommandText = "UPDATE wf_jobs SET variables_json = '{\"a\":' WHERE lower(instance_id) = lower($id)";
            tamper.Parameters.AddWithValue("$id", id);
            Assert.That(await tamper.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        using var view = await ann.GetAsync(new Uri($"/api/instances/{id}", UriKind.Relative));
        var problem = await view.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(view.StatusCode, Is.Not.EqualTo(HttpStatusCode.BadRequest), "the request was right: nothing the caller sends mends a stored row");
            Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("Stored data cannot be read"));
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("your request is not at fault"));
        }
    }

    // review12 F6: Dapper's error quoted the value it could not convert (a whole state, with every variable of the
    // case) into the log of the failure; the store names the column and the value's class instead. review13 F3: the
    // task list read its rows past the store's central reads, and quoted a task row's value still.
    [TestCase("wf_instances", "row_version", "id", "/api/instances/{0}")]
    [TestCase("wf_user_tasks", "priority", "instance_id", "/api/tasks")]
    [TestCase("wf_user_tasks", "priority", "instance_id", "/api/tasks?sort=priority")]
    public async Task A_stored_value_of_another_class_than_the_store_reads_is_answered_and_logged_without_the_value(string table, string column, string key, string path)
    {
        const string secret = "FR76-3000-6000-0112-3456-7890-189";
        var log = new ExceptionLog();
        await using var host = TestHost.Start(services: s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(log));
        var ann = await host.As("ann");
        var id = await ann.StartAsync("complaint", new { customerId = "cust-7", summary = "charged twice", iban = secret });
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(host.Directory, "host.db")}"))
        {
            await connection.OpenAsync();
            await using var tamper = connection.CreateCommand();
            tamper.CommandText = $"UPDATE {table} SET {column} = $secret WHERE lower({key}) = lower($id)";
            tamper.Parameters.AddWithValue("$id", id);
            tamper.Parameters.AddWithValue("$secret", secret);
            Assert.That(await tamper.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        using var view = await ann.GetAsync(new Uri(string.Format(System.Globalization.CultureInfo.InvariantCulture, path, id), UriKind.Relative));
        var text = await view.Content.ReadAsStringAsync();
        var logged = string.Join(Environment.NewLine, log.Entries);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(view.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError), text);
            Assert.That(text, Does.Contain("Stored data cannot be read").And.Not.Contain("3000-6000"));
            Assert.That(logged, Does.Contain(column), "the failure is logged, naming the column");
            Assert.That(logged, Does.Not.Contain("3000-6000"), "without the value, in the message or any cause");
        }
    }

    /// <summary>Every entry of the host's log with its exception, whole (message, causes, stack).</summary>
    private sealed class ExceptionLog : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Entries { get; } = new();

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue($"{formatter(state, exception)} {exception}");

        public void Dispose()
        {
        }
    }
}
