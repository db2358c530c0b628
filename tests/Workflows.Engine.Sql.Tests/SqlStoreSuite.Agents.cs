using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

/// <summary>
/// A crowd of agents pulling the next task at once: each gets a different task, the crowd takes the head of the queue
/// in order, and no task is claimed twice.
/// </summary>
public abstract partial class SqlStoreSuite
{
    [Test]
    public async Task Twenty_agents_pulling_at_once_take_the_twenty_best_tasks_and_each_task_once()
    {
        var engine = new WorkflowEngine(NewSqlStore(), new WorkflowEngineOptions(), TimeProvider.System, NullLogger.Instance);
        await engine.Deployments.DeployAsync(Process("crowd", $"""
            <bpmn:startEvent id="start"/>
            {UserTask("handle", """<bpmn:extensionElements><wf:userTask candidateGroups="crowd-queue" priority="=priority"/></bpmn:extensionElements>""")}
            <bpmn:endEvent id="end"/>
            {Chain("start", "handle", "end")}
            """));
        var priorityOf = new Dictionary<Guid, int>();
        for (var i = 0; i < 60; i++)
        {
            var priority = (i * 37) % 60; // every priority once, not in the order of creation
            var instance = await engine.Runtime.StartAsync(new StartInstance("crowd") { Variables = Vars(("priority", priority)) });
            priorityOf[(await engine.Tasks.GetOpenAsync(instance)).Single().Id] = priority;
        }

        var agents = Enumerable.Range(1, 20).Select(a => $"agent-{a}").ToList();
        var first = await Task.WhenAll(agents.Select(agent => Task.Run(() => engine.Tasks.ClaimNextAsync(agent, ["crowd-queue"]))));

        // Then every agent works the queue dry: claim, complete, claim again.
        var claims = new System.Collections.Concurrent.ConcurrentBag<Guid>(first.Select(t => t!.Id));
        await Task.WhenAll(agents.Select((agent, a) => Task.Run(async () =>
        {
            await engine.Tasks.CompleteAsync(first[a]!.Id, null, agent);
            while (await engine.Tasks.ClaimNextAsync(agent, ["crowd-queue"]) is { } next)
            {
                claims.Add(next.Id);
                await engine.Tasks.CompleteAsync(next.Id, null, agent);
            }
        })));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Select(t => priorityOf[t!.Id]).Order(), Is.EqualTo(Enumerable.Range(40, 20)), "the crowd took the twenty highest priorities");
            Assert.That(claims.Order(), Is.EqualTo(priorityOf.Keys.Order()), "every task was claimed, and once");
        }
    }
}
