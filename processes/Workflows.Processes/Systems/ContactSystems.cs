namespace Workflows.Processes.Systems;

/// <summary>How the customer is told: e-mail, text message or letter.</summary>
public interface ICustomerNotifications
{
    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="customerId"/> over <paramref name="channel"/> (<c>email</c>,
    /// <c>sms</c> or <c>letter</c>) and returns the notification's id.
    /// </summary>
    /// <remarks>Called again with the same <paramref name="reference"/> (a retried step), it must not send twice.</remarks>
    Task<string> NotifyAsync(string customerId, string channel, string message, string reference, CancellationToken cancellationToken);
}

/// <summary>The manufacturer's warranty register.</summary>
public interface IWarrantyRegister
{
    /// <summary>Whether the product with <paramref name="serialNumber"/> is still under warranty.</summary>
    Task<bool> IsUnderWarrantyAsync(string serialNumber, CancellationToken cancellationToken);
}

/// <summary>The field technicians' diary.</summary>
public interface IAppointmentBooking
{
    /// <summary>Books a visit at <paramref name="address"/> for <paramref name="purpose"/> and returns the appointment's id.</summary>
    /// <remarks>The same <paramref name="reference"/> books the same appointment.</remarks>
    Task<string> BookAsync(string customerId, string address, string purpose, string reference, CancellationToken cancellationToken);
}

/// <summary>The document portal where customers upload what a case needs.</summary>
public interface IDocumentRequests
{
    /// <summary>Asks <paramref name="customerId"/> for <paramref name="documents"/> and returns the request's id.</summary>
    /// <remarks>The same <paramref name="reference"/> makes one request.</remarks>
    Task<string> RequestAsync(string customerId, string documents, string reference, CancellationToken cancellationToken);
}
