using System.Globalization;
using Workflows.Engine;
using Workflows.Processes.Systems;

namespace Workflows.Processes;

/// <summary>The service-task handlers of the journey library, each calling one external system.</summary>
/// <remarks>
/// Every handler reads the variables it needs by name and fails the step (an incident naming the variable)
/// when one is missing or of the wrong type. The external assessor is not an in-process handler: its
/// service task is marked external, so the host runs <see cref="ExternalAssessor"/> as a job worker on the bus.
/// </remarks>
public static class JourneyHandlers
{
    /// <summary>The job type of the external assessor's worker.</summary>
    public const string ExternalAssessorType = "external-assessor";

    /// <summary>Registers the in-process handlers of every journey on <paramref name="options"/>.</summary>
    public static WorkflowEngineOptions AddJourneyHandlers(this WorkflowEngineOptions options, JourneySystems systems)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(systems);
        return options
            .AddHandler("complaint-history", async (task, ct) =>
            {
                var earlier = await systems.CustomerRecords.RecordComplaintAsync(Text(task, "customerId"), Text(task, "caseId"), ct).ConfigureAwait(false);
                return Result(("earlierComplaints", earlier), ("repeatComplaint", earlier > 0));
            })
            .AddHandler("identity-check", async (task, ct) =>
                Result(("identityVerified", await systems.IdentityVerifier.VerifyAsync(Text(task, "fullName"), Text(task, "idDocument"), ct).ConfigureAwait(false))))
            .AddHandler("credit-check", async (task, ct) =>
            {
                var score = await systems.CreditBureau.ScoreAsync(Text(task, "customerId"), ct).ConfigureAwait(false);
                return score < 500
                    ? throw new BpmnErrorException("CREDIT_REFUSED", $"credit score {score} is below 500")
                    : Result(("creditScore", score));
            })
            .AddHandler("provision-account", async (task, ct) =>
                Result(("accountNumber", await systems.Provisioning.OpenAccountAsync(Text(task, "customerId"), Text(task, "caseId"), ct).ConfigureAwait(false))))
            .AddHandler("return-authorisation", async (task, ct) =>
                Result(("returnAuthorised", await systems.Orders.AuthoriseReturnAsync(Text(task, "orderId"), Text(task, "reason"), ct).ConfigureAwait(false))))
            .AddHandler("shipping-label", async (task, ct) =>
                Result(("returnLabel", await systems.Orders.BookReturnAsync(Text(task, "orderId"), ct).ConfigureAwait(false))))
            .AddHandler("payment", async (task, ct) =>
            {
                // The model says which variable holds the amount: a refund and a claim payment share the handler.
                var amountVariable = task.Headers.TryGetValue("amountVariable", out var name) ? name : "amount";
                var reference = $"{Text(task, "caseId")}-{task.ElementId}";
                return Result(("paymentId", await systems.Payments.PayAsync(Text(task, "customerId"), Number(task, amountVariable), reference, ct).ConfigureAwait(false)));
            })
            .AddHandler("coverage-check", async (task, ct) =>
                Result(("covered", await systems.Policies.IsCoveredAsync(Text(task, "policyNumber"), Date(task, "lossDate"), ct).ConfigureAwait(false))))
            .AddHandler("service-availability", async (task, ct) =>
                Result(("serviceAvailable", await systems.Network.IsAvailableAsync(Text(task, "newAddress"), ct).ConfigureAwait(false))))
            // The steps of the element templates (Templates/*.json): what is said, how and why comes from the task's
            // headers, which the template's fields write; the reference makes a retried step send or book once.
            .AddHandler("notify-customer", async (task, ct) =>
                Result(("notificationId", await systems.Notifications.NotifyAsync(Text(task, "customerId"), Choice(task, "channel", "email", "sms", "letter"), Header(task, "message"), Reference(task), ct).ConfigureAwait(false))))
            .AddHandler("warranty-check", async (task, ct) =>
                Result(("underWarranty", await systems.Warranties.IsUnderWarrantyAsync(Text(task, "serialNumber"), ct).ConfigureAwait(false))))
            .AddHandler("book-appointment", async (task, ct) =>
                Result(("appointmentId", await systems.Appointments.BookAsync(Text(task, "customerId"), Text(task, "address"), Choice(task, "purpose", "repair", "installation", "inspection"), Reference(task), ct).ConfigureAwait(false))))
            .AddHandler("request-documents", async (task, ct) =>
                Result(("documentRequestId", await systems.Documents.RequestAsync(Text(task, "customerId"), Header(task, "documents"), Reference(task), ct).ConfigureAwait(false))));
    }

    /// <summary>The external assessor's job worker: the assessor's name and estimate, for the back office to review.</summary>
    public static ServiceTaskHandler ExternalAssessor(JourneySystems systems)
    {
        ArgumentNullException.ThrowIfNull(systems);
        return async (task, ct) =>
        {
            var report = await systems.Assessor.AssessAsync(Text(task, "caseId"), Number(task, "claimedAmount"), ct).ConfigureAwait(false);
            return Result(("assessor", report.Assessor), ("assessorEstimate", report.EstimatedAmount));
        };
    }

    // One step of one instance: the same on every retry of the step.
    private static string Reference(ServiceTaskContext task) => $"{task.InstanceId:N}-{task.ElementId}";

    private static string Header(ServiceTaskContext task, string name) =>
        task.Headers.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new InvalidOperationException($"{task.Type} at '{task.ElementId}' needs the task header '{name}', which is not set");

    // A header with a fixed set of values; the first is the default when the header is absent.
    private static string Choice(ServiceTaskContext task, string name, params string[] allowed)
    {
        if (!task.Headers.TryGetValue(name, out var value))
        {
            return allowed[0];
        }

        return allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw new InvalidOperationException($"{task.Type} at '{task.ElementId}' has the task header {name}='{value}'; it must be one of {string.Join(", ", allowed)}");
    }

    private static IReadOnlyDictionary<string, object?> Result(params (string Name, object? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);

    private static object Value(ServiceTaskContext task, string name) =>
        task.Variables.TryGetValue(name, out var value) && value is not null
            ? value
            : throw new InvalidOperationException($"{task.Type} at '{task.ElementId}' needs the variable '{name}', which is not set");

    private static string Text(ServiceTaskContext task, string name) => Value(task, name) switch
    {
        string s => s,
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        var other => throw WrongType(task, name, other, "text"),
    };

    private static decimal Number(ServiceTaskContext task, string name) => Value(task, name) switch
    {
        decimal d => d,
        string s when decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) => d,
        var other => throw WrongType(task, name, other, "a number"),
    };

    private static DateOnly Date(ServiceTaskContext task, string name) => Value(task, name) switch
    {
        DateOnly d => d,
        string s when DateOnly.TryParse(s, CultureInfo.InvariantCulture, out var d) => d,
        var other => throw WrongType(task, name, other, "a date"),
    };

    private static InvalidOperationException WrongType(ServiceTaskContext task, string name, object value, string expected) =>
        new($"{task.Type} at '{task.ElementId}' needs '{name}' to be {expected}, not {value.GetType().Name} '{value}'");
}
