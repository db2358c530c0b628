using System.Collections.Concurrent;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// Workers racing to complete one job on PostgreSQL, from two engines (two nodes): one completes it, the others are told
/// the job is gone, never that its instance does not exist (review12 F5: the job and its instance were read by two
/// statements of one round trip, each in its own snapshot, so a job completed between them was found without its
/// instance).
/// </summary>
[NonParallelizable]
public sealed class PostgresJobRaceTests : PostgresFixture
{
    private const int Rounds = 150;
    private const int Racers = 6;

    [Test]
    public async Task Workers_racing_on_one_job_see_it_completed_once_and_gone_for_the_others_never_its_instance_missing()
    {
        var type = "race-" + Guid.NewGuid().ToString("N")[..8];
        var engines = new[] { await SqlWorkflowEngine.CreateAsync(Store), await SqlWorkflowEngine.CreateAsync(Store) };
        await engines[0].Deployments.DeployAsync(Process("job-race", $"""
            <bpmn:startEvent id="start"/>
            <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="{type}"/></bpmn:extensionElements></bpmn:serviceTask>
            <bpmn:endEvent id="end"/>{Chain("start", "work", "end")}
            """));
        var outcomes = new ConcurrentQueue<string>();
        var completedPerRound = new List<int>();

        for (var round = 0; round < Rounds; round++)
        {
            await engines[0].Runtime.StartAsync(new StartInstance("job-race"));
            var job = (await engines[0].Jobs.GetWaitingAsync(type)).Single();
            using var gate = new ManualResetEventSlim();
            var racers = Enumerable.Range(0, Racers).Select(k => Task.Run(async () =>
            {
                gate.Wait();
                try
                {
                    await engines[k % 2].Jobs.CompleteAsync(job.Id);
                    return "completed";
                }
                catch (Exception e) when (e is WorkflowException)
                {
                    return $"{e.GetType().Name}: {e.Message}";
                }
            })).ToArray();
            gate.Set();
            var answers = await Task.WhenAll(racers);
            completedPerRound.Add(answers.Count(a => a == "completed"));
            foreach (var answer in answers)
            {
                outcomes.Enqueue(answer);
            }
        }

        var refusals = outcomes.Where(o => o != "completed").ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(completedPerRound, Is.All.EqualTo(1), "each job completed exactly once");
            Assert.That(refusals.Where(r => r.Contains("process instance", StringComparison.Ordinal)), Is.Empty, "no racer is told its instance does not exist");
            Assert.That(refusals, Is.All.StartWith(nameof(WorkflowNotFoundException) + ": job ").Or.StartWith(nameof(WorkflowConflictException)).Or.StartWith(nameof(CommandContendedException)),
                "the others: the job is gone, or their command lost the race");
        }
    }
}
