using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Workflows.Engine;
using Workflows.Engine.Feel;
using Workflows.Engine.Validation;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Features.Api;

/// <summary>Every error as RFC 7807 problem details, naming what is wrong; unknown failures are logged and hidden.</summary>
internal static partial class ProblemExtensions
{
    public static IServiceCollection AddWorkflowsProblems(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions["traceId"] = context.HttpContext.TraceIdentifier);
        services.AddExceptionHandler<WorkflowsExceptionHandler>();
        // Binding failures (malformed JSON, a wrong type) throw, so they reach the handler with their reason.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>Problems for exceptions and for bare status codes (401, 403, 404 of unknown routes), and the request size limit.</summary>
    public static WebApplication UseWorkflowsProblems(this WebApplication app)
    {
        var limits = app.Services.GetRequiredService<ApiLimits>();
        app.UseExceptionHandler();
        app.UseStatusCodePages(async context =>
        {
            if (!await PagesExtensions.TryAnswerPageStatusAsync(context.HttpContext))
            {
                var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
                var problem = new ProblemDetailsContext { HttpContext = context.HttpContext };
                if (context.HttpContext.Response.StatusCode == StatusCodes.Status415UnsupportedMediaType)
                {
                    // The endpoint reads JSON and the request said another media type: the framework answers before any handler.
                    problem.ProblemDetails.Detail = $"the body is read as JSON: send it with Content-Type: application/json (not '{context.HttpContext.Request.ContentType}')";
                }

                await problems.WriteAsync(problem);
            }
        });
        app.Use((context, next) =>
        {
            if (context.Request.ContentLength > limits.MaxRequestBytes)
            {
                throw new PayloadTooLargeException($"the request body of {context.Request.ContentLength:N0} bytes is above the limit of {limits.MaxRequestBytes:N0} (Workflows:Limits:MaxRequestBytes)");
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limits.MaxRequestBytes;
            }

            return next(context);
        });
        return app;
    }

    private sealed partial class WorkflowsExceptionHandler(IProblemDetailsService problems, StoreFaults faults, ILogger<WorkflowsExceptionHandler> logger) : IExceptionHandler
    {
        private int _outgrownLogged; // 1 once a refusal of a node older than its database was logged

        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            var extensions = new Dictionary<string, object?>();
            // Every read of the store, not only its central ones, is answered and logged without a stored value (review13 F3).
            exception = Engine.Sql.SqlStoreFaults.WithoutStoredValues(exception);
            if (Engine.Sql.SqlStoreFaults.IsUnstorableText(exception))
            {
                // A NUL in a text the engine and the API did not check: the caller's to remove, not a server fault (no 500).
                exception = new WorkflowInputException(Engine.Runtime.StorableText.NulProblem("a text of the request"));
            }

            (int Status, string Title) problem = exception switch
            {
                WorkflowNotFoundException => (404, "Not found"),
                StoredTaskUnreadableException unreadable => With(extensions, "taskId", unreadable.TaskId, (409, "The task's stored row cannot be read")),
                InstanceStateUnreadableException or DefinitionUnreadableException when OnlyCustomer(context) => (409, CustomerNotice.Title),
                InstanceStateUnreadableException unreadable => With(extensions, "instanceId", unreadable.InstanceId, (409, "The instance's stored state cannot be read")),
                DefinitionUnreadableException unreadable => With(extensions, "definitionId", unreadable.DefinitionId, (409, "The stored definition cannot be read")),
                IdempotencyKeyBusyException busy => RetryLater(context, TimeSpan.FromSeconds(1), With(extensions, "idempotencyKey", busy.Key, (409, "A start with this Idempotency-Key is under way"))),
                IdempotencyKeyReusedException reused => With(extensions, "idempotencyKey", reused.Key, (422, "The Idempotency-Key was used with another request")),
                CommandContendedException contended => RetryLater(context, contended.RetryAfter, (409, "Conflict")),
                WorkflowConflictException => (409, "Conflict"),
                TaskFormException form => With(extensions, "errors", form.FieldErrors, With(extensions, "rules", form.FieldRules, (422, "The form has errors"))),
                DeploymentRejectedException rejected => With(extensions, "findings", rejected.Report.Findings.Select(Finding.From).ToList(), (422, rejected.Title)),
                ModificationRefusedException refused => With(extensions, "reasons", refused.Reasons, (400, "The modification is refused")),
                MigrationRefusedException refused => With(extensions, "reasons", refused.Reasons, (400, "The migration is refused")),
                FeelSyntaxException => (400, "The expression does not parse"),
                WorkflowInputException => (400, "Bad input"),
                ForbiddenException => (403, "Forbidden"),
                PayloadTooLargeException => (413, "Too large"),
                BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode switch { 413 => "Too large", 415 => "Unsupported media type", _ => "Bad request" }),
                // Only a request body's own JSON is the caller's to fix, and the framework hands it over wrapped (ThrowOnBadRequest):
                // a bare JsonException comes from something the server stored, which no change to the request mends.
                JsonException => (500, StoredDataTitle),
                // A stored row whose value is not what the store reads (the store's words name the column, never its value).
                InvalidDataException => (500, StoredDataTitle),
                System.Text.RegularExpressions.RegexMatchTimeoutException => (422, "An expression took too long"),
                Engine.Sql.CommitOutcomeUnknownException => Unavailable(context, faults, exception, (503, OutcomeUnknownTitle)),
                // Logged at the first refusal only: the node stays outgrown until restarted, so every later one is the same fault (review 18 F6).
                Engine.Sql.SchemaOutgrownException outgrown => With(extensions, "databaseSchemaVersion", outgrown.DatabaseVersion,
                    With(extensions, "nodeSchemaVersion", outgrown.KnownVersion,
                        Unavailable(context, faults, exception, (503, SchemaOutgrownTitle), log: Interlocked.Exchange(ref _outgrownLogged, 1) == 0))),
                var e when Engine.Sql.SqlStoreFaults.IsUnavailable(e) => Unavailable(context, faults, e),
                _ => (500, "Unexpected error"),
            };

            var detail = problem.Title == CustomerNotice.Title ? CustomerNotice.Detail
                : problem.Title == StoredDataTitle ? "something the server stored could not be read (your request is not at fault); the trace id identifies it in the server's log"
                : problem.Status == 500 ? "the server failed; the trace id identifies the failure in its log"
                : problem.Title == OutcomeUnknownTitle ? OutcomeUnknownDetail
                : problem.Title == SchemaOutgrownTitle ? $"{exception.Message}. Nothing was changed: send the request again to a node of the newer build"
                : problem.Status == 503 ? $"{Engine.Sql.SqlStoreFaults.Reason(exception)}: nothing was changed; try again later"
                : exception is System.Text.RegularExpressions.RegexMatchTimeoutException regex
                    ? $"the pattern '{regex.Pattern}' ran past its time-out of {regex.MatchTimeout.TotalMilliseconds:N0} ms on the given input"
                    : Detail(exception);
            if (problem.Status == 500)
            {
                LogUnexpected(logger, context.Request.Path, exception);
            }

            context.Response.StatusCode = problem.Status;
            var details = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = problem.Status, Title = problem.Title, Detail = detail };
            foreach (var (key, value) in extensions)
            {
                details.Extensions[key] = value;
            }

            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = details, Exception = exception }).ConfigureAwait(false);
        }

        private const string StoredDataTitle = "Stored data cannot be read";

        // The one 503 after which the request may have been applied (docs/api.md, "Retrying a start").
        private const string OutcomeUnknownTitle = "The outcome of the request is unknown";

        // A node that kept running while a newer build migrated the database (SchemaWatch): its code no longer fits the schema.
        private const string SchemaOutgrownTitle = "This node is older than the database";

        private const string OutcomeUnknownDetail = "the connection to the database was lost while the request was committed, and the database could not say whether it was: "
            + "it may have been applied. Retry it with the same Idempotency-Key (a start that was applied is answered with its case, one that was not is made now); "
            + "without a key, look at the case before sending it again";

        // A customer learns nothing of the engine's inside: an instance whose state cannot be read is being looked at.
        private static bool OnlyCustomer(HttpContext context)
        {
            var caller = Caller.From(context.User);
            return caller.Is(Roles.Customer) && !Roles.Staff.Any(caller.Is);
        }

        // The store refused the command (read-only, full, locked, away): the command was rolled back whole, so the caller
        // may repeat it; readiness reports the fault meanwhile.
        private (int, string) Unavailable(HttpContext context, StoreFaults storeFaults, Exception exception, (int, string)? problem = null, bool log = true)
        {
            storeFaults.Report(exception);
            if (log)
            {
                LogUnavailable(logger, context.Request.Path, Engine.Sql.SqlStoreFaults.Reason(exception) ?? exception.Message);
            }

            context.Response.Headers.RetryAfter = "5";
            return problem ?? (503, "The store is unavailable");
        }

        // Lost races only: the same request may well succeed after the pause (docs/operations.md).
        private static (int, string) RetryLater(HttpContext context, TimeSpan after, (int, string) problem)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return problem;
        }

        private static (int, string) With(Dictionary<string, object?> extensions, string key, object value, (int, string) problem)
        {
            extensions[key] = value;
            return problem;
        }

        // A binding failure is told in the API's words (the field, what it takes), and no text names a .NET type.
        private static string Detail(Exception exception) => BindingProblems.Plain(BindingProblems.Explain(exception) ?? exception.Message);

        [LoggerMessage(EventId = 121, Level = LogLevel.Warning, Message = "{Path} answered 503: {Reason}")]
        private static partial void LogUnavailable(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 120, Level = LogLevel.Error, Message = "Unexpected failure of {Path}")]
        private static partial void LogUnexpected(ILogger logger, string path, Exception exception);
    }
}

/// <summary>A validation finding as the API shows it.</summary>
internal sealed record Finding(string Severity, string Code, string? ElementId, int Line, int Column, string Message)
{
    public static Finding From(ValidationFinding f) => new(f.Severity.ToString().ToLowerInvariant(), f.Code, f.ElementId, f.Line, f.Column, f.Message);
}

/// <summary>What a customer is told of a case the engine cannot show or change now (its stored state cannot be read).</summary>
internal static class CustomerNotice
{
    public const string Title = "Your request is being looked at";

    public const string Detail = "your case cannot be shown or changed right now; our staff are looking into it";
}
