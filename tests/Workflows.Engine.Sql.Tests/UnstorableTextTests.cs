using Dapper;
using Npgsql;
using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// PostgreSQL's refusal of a NUL character in a text (<see cref="SqlStoreFaults.IsUnstorableText"/>): the host answers
/// it as bad input (400) should one get past the engine's and the API's own checks, never as a server fault (500).
/// </summary>
public sealed class UnstorableTextTests
{
    private static string Server => Environment.GetEnvironmentVariable("WORKFLOWS_TEST_POSTGRES")
        ?? throw new InvalidOperationException("WORKFLOWS_TEST_POSTGRES is not set: run ./scripts/test.sh, which provisions PostgreSQL and sets it");

    [Test]
    public async Task A_nul_in_text_or_in_json_is_told_as_unstorable_text_and_other_refusals_are_not()
    {
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();

        var text = Assert.CatchAsync(() => connection.ExecuteScalarAsync<string>("SELECT @t::text", new { t = "C-1\0" }));
        var json = Assert.CatchAsync(() => connection.ExecuteScalarAsync<string>("SELECT @j::jsonb::text", new { j = "\"C-1\\u0000\"" }));
        var other = Assert.CatchAsync(() => connection.ExecuteScalarAsync<int>("SELECT 1 / 0"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(SqlStoreFaults.IsUnstorableText(text), Is.True, text!.Message);
            Assert.That(SqlStoreFaults.IsUnstorableText(new InvalidOperationException("wrapped", text)), Is.True, "found inside another exception");
            Assert.That(SqlStoreFaults.IsUnstorableText(json), Is.True, json!.Message);
            Assert.That(SqlStoreFaults.IsUnstorableText(other), Is.False, other!.Message);
        }
    }
}
