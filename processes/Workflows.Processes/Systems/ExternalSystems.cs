namespace Workflows.Processes.Systems;

/// <summary>The customer records (CRM): how many complaints a customer raised before this one.</summary>
public interface ICustomerRecords
{
    /// <summary>Records complaint <paramref name="caseId"/> of <paramref name="customerId"/> and returns how many came before it.</summary>
    /// <remarks>Called again for the same case (a retried step), it must not count the case twice.</remarks>
    Task<int> RecordComplaintAsync(string customerId, string caseId, CancellationToken cancellationToken);
}

/// <summary>The identity verification service.</summary>
public interface IIdentityVerifier
{
    /// <summary>Whether the document presented confirms who the customer says they are.</summary>
    Task<bool> VerifyAsync(string fullName, string idDocument, CancellationToken cancellationToken);
}

/// <summary>The credit bureau.</summary>
public interface ICreditBureau
{
    /// <summary>The customer's score, 0 to 1000.</summary>
    Task<int> ScoreAsync(string customerId, CancellationToken cancellationToken);
}

/// <summary>The provisioning system that opens accounts.</summary>
public interface IProvisioning
{
    /// <summary>Opens the customer's account and returns its number; the same case opens the same account.</summary>
    Task<string> OpenAccountAsync(string customerId, string caseId, CancellationToken cancellationToken);
}

/// <summary>The order system: whether an order may be returned, and the carrier's return booking.</summary>
public interface IOrderSystem
{
    /// <summary>Whether the return of <paramref name="orderId"/> for <paramref name="reason"/> is authorised.</summary>
    Task<bool> AuthoriseReturnAsync(string orderId, string reason, CancellationToken cancellationToken);

    /// <summary>Books a return label or pick-up and returns its tracking number.</summary>
    Task<string> BookReturnAsync(string orderId, CancellationToken cancellationToken);
}

/// <summary>The payment system (refunds and claim payments).</summary>
public interface IPayments
{
    /// <summary>Pays <paramref name="amount"/> to the customer; the same reference pays once.</summary>
    Task<string> PayAsync(string customerId, decimal amount, string reference, CancellationToken cancellationToken);
}

/// <summary>The policy administration system of the insurer.</summary>
public interface IPolicyAdministration
{
    /// <summary>Whether the policy covers a loss on that date.</summary>
    Task<bool> IsCoveredAsync(string policyNumber, DateOnly lossDate, CancellationToken cancellationToken);
}

/// <summary>The network inventory: which addresses the services reach.</summary>
public interface INetworkInventory
{
    /// <summary>Whether the customer's services can be delivered at <paramref name="address"/>.</summary>
    Task<bool> IsAvailableAsync(string address, CancellationToken cancellationToken);
}

/// <summary>An external loss assessor, reached as a job worker over the bus.</summary>
public interface IExternalAssessor
{
    /// <summary>The assessor's estimate of the loss.</summary>
    Task<AssessorReport> AssessAsync(string caseId, decimal claimedAmount, CancellationToken cancellationToken);
}

/// <summary>What an external assessor reports.</summary>
/// <param name="Assessor">Who assessed.</param>
/// <param name="EstimatedAmount">The loss as the assessor estimates it.</param>
public sealed record AssessorReport(string Assessor, decimal EstimatedAmount);

/// <summary>Every external system the journeys' service tasks call.</summary>
public sealed record JourneySystems(
    ICustomerRecords CustomerRecords,
    IIdentityVerifier IdentityVerifier,
    ICreditBureau CreditBureau,
    IProvisioning Provisioning,
    IOrderSystem Orders,
    IPayments Payments,
    IPolicyAdministration Policies,
    INetworkInventory Network,
    IExternalAssessor Assessor,
    ICustomerNotifications Notifications,
    IWarrantyRegister Warranties,
    IAppointmentBooking Appointments,
    IDocumentRequests Documents)
{
    /// <summary>Deterministic stand-ins for every system, for the embedded demo and for tests.</summary>
    public static JourneySystems Demo()
    {
        var demo = new DemoSystems();
        return new(demo, demo, demo, demo, demo, demo, demo, demo, demo, demo, demo, demo, demo);
    }
}
