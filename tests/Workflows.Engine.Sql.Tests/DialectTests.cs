using NUnit.Framework;

namespace Workflows.Engine.Sql.Tests;

/// <summary>The statements each dialect writes, checked as text where no database of that kind can run here.</summary>
public sealed class DialectTests
{
    [Test]
    public void Keyset_paging_uses_row_values_where_the_database_has_them_and_spells_them_out_on_sql_server()
    {
        string[] columns = ["q.sla_sort", "q.inv_priority", "q.task_id"];
        string[] parameters = ["@a", "@b", "@c"];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(SqlDialect.For(SqlProvider.Sqlite).After(columns, parameters), Is.EqualTo("(q.sla_sort, q.inv_priority, q.task_id) > (@a, @b, @c)"));
            Assert.That(SqlDialect.For(SqlProvider.PostgreSql).After(columns, parameters), Is.EqualTo("(q.sla_sort, q.inv_priority, q.task_id) > (@a, @b, @c)"));
            Assert.That(SqlDialect.For(SqlProvider.SqlServer).After(columns, parameters), Is.EqualTo(
                "((q.sla_sort > @a) OR (q.sla_sort = @a AND q.inv_priority > @b) OR (q.sla_sort = @a AND q.inv_priority = @b AND q.task_id > @c))"));
        }
    }

    [Test]
    public void A_batch_repeats_the_statement_per_row_with_its_own_parameters_under_the_parameter_limit()
    {
        var rows = Enumerable.Range(0, 700).Select(i => (object)new { Id = i, Name = $"n{i}", Unused = "x" }).ToList();

        var batches = StatementBatch.Build("UPDATE t SET name = @Name WHERE id = @id", rows).ToList();

        var first = batches[0];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(batches, Has.Count.EqualTo(4), "200 statements a command at most");
            Assert.That(first.Sql, Does.StartWith("UPDATE t SET name = @Name_0 WHERE id = @id_0;\nUPDATE t SET name = @Name_1 WHERE id = @id_1;"));
            Assert.That(first.Parameters.ParameterNames, Does.Contain("Name_199").And.Contain("Id_199").And.Not.Contain("Unused_0"));
            Assert.That(first.Parameters.Get<string>("Name_5"), Is.EqualTo("n5"));
            Assert.That(batches.Sum(b => b.Parameters.ParameterNames.Count()), Is.EqualTo(1400));
        }
    }

    [Test]
    public void A_positional_statement_numbers_each_parameter_once_and_reads_values_with_their_declared_types()
    {
        var (sql, names) = StatementBatch.Positional("UPDATE t SET a = @A, b = @b WHERE id = @Id AND a <> @a");
        var values = StatementBatch.Values(new { A = 1L, B = (string?)null, Id = Guid.Empty }, names).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sql, Is.EqualTo("UPDATE t SET a = $1, b = $2 WHERE id = $3 AND a <> $1"));
            Assert.That(names, Is.EqualTo(new[] { "A", "b", "Id" }));
            Assert.That(values, Is.EqualTo(new (object?, Type)[] { (1L, typeof(long)), (null, typeof(string)), (Guid.Empty, typeof(Guid)) }));
            Assert.That(() => StatementBatch.Values(new { A = 1 }, names).ToList(), Throws.InvalidOperationException.With.Message.Contains("@b"));
        }
    }
}
