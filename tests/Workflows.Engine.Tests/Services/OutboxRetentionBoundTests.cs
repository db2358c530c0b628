namespace Workflows.Engine.Tests.Services;

/// <summary>
/// Review 19 F4: the retentions were checked from below only; a "keep for ever" of <see cref="TimeSpan.MaxValue"/> passed
/// the check, and the purge's cut-off (now − retention) then failed every worker round, before its timers, clocks and jobs.
/// </summary>
[TestFixture]
public sealed class OutboxRetentionBoundTests
{
    [Test]
    public void A_retention_past_ten_years_is_refused_naming_the_setting_and_an_unset_outbox_retention_keeps_rows_for_ever()
    {
        var options = new WorkflowEngineOptions();
        options.Worker.OutboxRetention = TimeSpan.MaxValue;
        options.Worker.IdempotencyKeyRetention = TimeSpan.MaxValue;
        var refused = options.Worker.Check();
        options.Worker.OutboxRetention = null;
        options.Worker.IdempotencyKeyRetention = TimeSpan.FromDays(3650);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Has.One.Contains("Worker.OutboxRetention must be positive and at most 3,650 days when set"));
            Assert.That(refused, Has.One.Contains("Worker.IdempotencyKeyRetention must be from 24 hours (1.00:00:00) to 3,650 days"));
            Assert.That(options.Worker.Check(), Is.Empty);
        }
    }
}
