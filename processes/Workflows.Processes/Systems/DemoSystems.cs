using System.Collections.Concurrent;
using System.Globalization;

namespace Workflows.Processes.Systems;

/// <summary>
/// Stand-ins for the external systems with fixed, documented rules, so a demo and a test always take the
/// same path for the same input:
/// <list type="bullet">
/// <item>a customer id containing <c>risky</c> scores 300 at the credit bureau (below 500 is refused), any other 720;</item>
/// <item>an identity is verified unless the full name is blank or contains <c>unknown</c>;</item>
/// <item>a return is authorised unless the reason is <c>changed-mind</c> on an order id ending in <c>-OLD</c>;</item>
/// <item>a policy number starting with <c>LAPSED</c> covers nothing;</item>
/// <item>an address containing <c>remote</c> has no service;</item>
/// <item>the assessor estimates 90 % of the amount claimed;</item>
/// <item>a serial number starting with <c>EXP</c> is out of warranty;</item>
/// <item>notifications, appointments and document requests are numbered by their reference (<c>NOTE-</c>, <c>APT-</c>, <c>DOC-</c>).</item>
/// </list>
/// Complaints are counted per customer in memory.
/// </summary>
internal sealed class DemoSystems : ICustomerRecords, IIdentityVerifier, ICreditBureau, IProvisioning, IOrderSystem, IPayments, IPolicyAdministration, INetworkInventory, IExternalAssessor,
    ICustomerNotifications, IWarrantyRegister, IAppointmentBooking, IDocumentRequests
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, int>> _complaints = new(StringComparer.Ordinal);

    public Task<int> RecordComplaintAsync(string customerId, string caseId, CancellationToken cancellationToken)
    {
        var cases = _complaints.GetOrAdd(customerId, _ => new(StringComparer.Ordinal));
        lock (cases)
        {
            return Task.FromResult(cases.GetOrAdd(caseId, _ => cases.Count));
        }
    }

    public Task<bool> VerifyAsync(string fullName, string idDocument, CancellationToken cancellationToken) =>
        Task.FromResult(!string.IsNullOrWhiteSpace(fullName) && !fullName.Contains("unknown", StringComparison.OrdinalIgnoreCase));

    public Task<int> ScoreAsync(string customerId, CancellationToken cancellationToken) =>
        Task.FromResult(customerId.Contains("risky", StringComparison.OrdinalIgnoreCase) ? 300 : 720);

    public Task<string> OpenAccountAsync(string customerId, string caseId, CancellationToken cancellationToken) =>
        Task.FromResult("ACC-" + caseId);

    public Task<bool> AuthoriseReturnAsync(string orderId, string reason, CancellationToken cancellationToken) =>
        Task.FromResult(!(reason == "changed-mind" && orderId.EndsWith("-OLD", StringComparison.OrdinalIgnoreCase)));

    public Task<string> BookReturnAsync(string orderId, CancellationToken cancellationToken) => Task.FromResult("RET-" + orderId);

    public Task<string> PayAsync(string customerId, decimal amount, string reference, CancellationToken cancellationToken) =>
        Task.FromResult(string.Create(CultureInfo.InvariantCulture, $"PAY-{reference}-{amount:0.00}"));

    public Task<bool> IsCoveredAsync(string policyNumber, DateOnly lossDate, CancellationToken cancellationToken) =>
        Task.FromResult(!policyNumber.StartsWith("LAPSED", StringComparison.OrdinalIgnoreCase));

    public Task<bool> IsAvailableAsync(string address, CancellationToken cancellationToken) =>
        Task.FromResult(!address.Contains("remote", StringComparison.OrdinalIgnoreCase));

    public Task<AssessorReport> AssessAsync(string caseId, decimal claimedAmount, CancellationToken cancellationToken) =>
        Task.FromResult(new AssessorReport("Demo Assessors Ltd", decimal.Round(claimedAmount * 0.9m, 2)));

    public Task<string> NotifyAsync(string customerId, string channel, string message, string reference, CancellationToken cancellationToken) =>
        Task.FromResult($"NOTE-{channel}-{reference}");

    public Task<bool> IsUnderWarrantyAsync(string serialNumber, CancellationToken cancellationToken) =>
        Task.FromResult(!serialNumber.StartsWith("EXP", StringComparison.OrdinalIgnoreCase));

    public Task<string> BookAsync(string customerId, string address, string purpose, string reference, CancellationToken cancellationToken) =>
        Task.FromResult($"APT-{purpose}-{reference}");

    public Task<string> RequestAsync(string customerId, string documents, string reference, CancellationToken cancellationToken) =>
        Task.FromResult("DOC-" + reference);
}
