using Dapper;
using Npgsql;
using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Several rows of one unguarded insert in a commit's batch are one statement on PostgreSQL (the rows unnested from one
/// array per parameter), and are stored exactly as a statement per row stores them: nulls, enums, bytes, literals.
/// </summary>
[NonParallelizable]
public sealed class PostgresRowsInsertTests : PostgresFixture
{
    private const string Insert = """
        INSERT INTO rows_test (id, number, small, text, bytes, day, fixed, again)
        VALUES (@Id, @Number, @Small, @Text, @Bytes, @Day, 0, @Number)
        """;

    private sealed record Row(Guid Id, long? Number, int Small, string? Text, byte[]? Bytes, DayOfWeek? Day);

    private sealed record Dated(Guid Id, DateTime At);

    [Test]
    public async Task Several_rows_of_an_insert_are_one_statement_and_stored_as_one_statement_per_row_stores_them()
    {
        await using var connection = new NpgsqlConnection(Store.ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync("""
            DROP TABLE IF EXISTS rows_test;
            CREATE TABLE rows_test (id uuid PRIMARY KEY, number bigint NULL, small integer NOT NULL, text text NULL, bytes bytea NULL, day integer NULL, fixed integer NOT NULL, again bigint NULL)
            """);
        Row[] Rows() =>
        [
            new(Guid.NewGuid(), 42, 1, "ünïcode \U0001F600", [1, 2, 3], DayOfWeek.Friday),
            new(Guid.NewGuid(), null, 0, null, null, null),
            new(Guid.NewGuid(), long.MinValue, int.MaxValue, "", [], DayOfWeek.Sunday),
        ];
        var together = Rows();
        var apart = Rows();

        int statements;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var batch = new PostgresCommitBatch(connection, transaction);
            batch.AddRows(Insert, together, guard: null);
            statements = batch.Count;
            foreach (var row in apart)
            {
                batch.AddRows(Insert, [row], guard: null);
            }

            await batch.ExecuteAloneAsync(default);
            await transaction.CommitAsync();
        }

        var stored = (await connection.QueryAsync<(Guid Id, long? Number, int Small, string? Text, byte[]? Bytes, int? Day, int Fixed, long? Again)>(
            "SELECT id, number, small, text, bytes, day, fixed, again FROM rows_test")).ToDictionary(r => r.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(statements, Is.EqualTo(1), "three rows of one insert, one statement");
            Assert.That(stored, Has.Count.EqualTo(6));
            for (var i = 0; i < together.Length; i++)
            {
                var (one, each) = (stored[together[i].Id], stored[apart[i].Id]);
                Assert.That((one.Number, one.Small, one.Text, one.Day, one.Fixed, one.Again), Is.EqualTo((each.Number, each.Small, each.Text, each.Day, each.Fixed, each.Again)), $"row {i}");
                Assert.That(one.Bytes, Is.EqualTo(each.Bytes), $"row {i}: the bytes");
                Assert.That(one.Text, Is.EqualTo(together[i].Text), $"row {i}: the text");
                Assert.That(one.Day, Is.EqualTo((int?)together[i].Day), $"row {i}: the enum as its number");
                Assert.That(one.Fixed, Is.Zero, $"row {i}: the literal");
                Assert.That(one.Again, Is.EqualTo(together[i].Number), $"row {i}: a parameter named twice");
            }
        }
    }

    [Test]
    public void An_insert_of_values_other_than_parameters_and_numbers_or_of_a_type_without_a_declared_one_is_left_to_a_statement_per_row()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(PostgresRowsInsert.For(Insert, typeof(Row)), Is.Not.Null);
            Assert.That(PostgresRowsInsert.For("INSERT INTO rows_test (id, text) VALUES (@Id, lower(@Text))", typeof(Row)), Is.Null, "a function");
            Assert.That(PostgresRowsInsert.For("INSERT INTO rows_test (id, text) VALUES (@Id, 'x')", typeof(Row)), Is.Null, "a text literal");
            Assert.That(PostgresRowsInsert.For("INSERT INTO rows_test (id) VALUES (@Id) ON CONFLICT DO NOTHING", typeof(Row)), Is.Null, "a conflict clause");
            Assert.That(PostgresRowsInsert.For("UPDATE rows_test SET small = @Small WHERE id = @Id", typeof(Row)), Is.Null, "not an insert");
            Assert.That(PostgresRowsInsert.For("INSERT INTO rows_test (id, number) VALUES (@Id, @At)", typeof(Dated)), Is.Null, "a date has no declared type");
        }
    }
}
