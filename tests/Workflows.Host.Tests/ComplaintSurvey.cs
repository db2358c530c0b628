using System.Net;
using System.Text.Json;

namespace Workflows.Host.Tests;

/// <summary>Takes a library complaint through the API to its satisfaction survey, the question its customer answers in the tracker.</summary>
internal static class ComplaintSurvey
{
    /// <summary>
    /// Registers the complaint, resolves it at the front desk or — a repeat complaint of the customer goes there — in
    /// the back office, answers the customer, and returns the survey's task id.
    /// </summary>
    public static async Task<string> ReachAsync(TestHost host, string instanceId)
    {
        var ann = await host.As("ann");
        var omar = await host.As("omar");
        await CompleteAsync(ann, await ann.TaskAsync(instanceId, "register"), new { category = "billing", amount = 20, summary = "double charge" });
        var key = (await ann.GetJsonAsync($"/api/instances/{instanceId}")).GetProperty("businessKey").GetString();
        var next = await Api.EventuallyAsync(async () =>
        {
            var front = (await ann.GetJsonAsync($"/api/instances/{instanceId}")).GetProperty("tasks").EnumerateArray().FirstOrDefault(t => t.GetProperty("elementId").GetString() == "resolve_front");
            return front.ValueKind != JsonValueKind.Undefined ? front
                : (await omar.GetJsonAsync($"/api/tasks?queue=back-office-complaints&businessKey={key}")).GetProperty("tasks").EnumerateArray().FirstOrDefault();
        }, "the complaint went to the front desk's resolution or to the back office");
        if (next.GetProperty("elementId").GetString() == "resolve_front")
        {
            await CompleteAsync(ann, next.GetProperty("id").GetString()!, new { resolution = "refunded" });
        }
        else
        {
            await omar.PostJsonAsync($"/api/tasks/{next.GetProperty("id").GetString()}/claim", null);
            await CompleteAsync(omar, next.GetProperty("id").GetString()!, new { findings = "charged twice", refund = 20 });
        }

        var respond = await Api.EventuallyAsync(async () =>
            (await ann.GetJsonAsync($"/api/instances/{instanceId}")).GetProperty("tasks").EnumerateArray().FirstOrDefault(t => t.GetProperty("elementId").GetString() == "respond"),
            "the complaint came to the answer to the customer");
        await CompleteAsync(ann, respond.GetProperty("id").GetString()!, new { response = "we refunded you" });
        return await ann.TaskAsync(instanceId, "survey");
    }

    private static Task<JsonElement> CompleteAsync(HttpClient agent, string task, object variables) =>
        agent.PostJsonAsync($"/api/tasks/{task}/complete", new { variables }, HttpStatusCode.NoContent);
}
