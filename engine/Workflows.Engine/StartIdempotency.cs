namespace Workflows.Engine;

/// <summary>
/// The idempotency key of a start (the IETF httpapi draft's <c>Idempotency-Key</c>): a start retried with the same key
/// in the same scope and for the same request answers what the first one did, and never starts a second instance.
/// </summary>
/// <remarks>
/// The key is stored in the start's own commit, with its instance (no key without its instance, no instance without its
/// key), and kept at least <see cref="Services.WorkflowWorkerOptions.IdempotencyKeyRetention"/> (24 hours by default), after
/// which the worker deletes it and the same key starts a new instance. A key is unique within its <see cref="Scope"/>: a host
/// names the caller there (a customer, an agent), so that one caller's key never reaches another's instance.
/// </remarks>
/// <param name="Key">The caller's key: 1 to 255 characters, none of them a control character or half a surrogate pair.</param>
public sealed record StartIdempotency(string Key)
{
    /// <summary>The longest key, in characters.</summary>
    public const int MaxKeyLength = 255;

    /// <summary>The longest <see cref="Scope"/>, in characters (what every store's column holds).</summary>
    public const int MaxScopeLength = 400;

    /// <summary>Whose key it is (a host names the caller here); the empty scope by default.</summary>
    public string Scope { get; init; } = "";

    /// <summary>
    /// What identifies the request, compared when the key comes again: another request with the same key is refused
    /// (<see cref="IdempotencyKeyReusedException"/>). Null (the default): a digest of the start's process, version, branch,
    /// business key and variables, which suits a caller that sends the same command again.
    /// </summary>
    public string? Fingerprint { get; init; }

    /// <summary>A <see cref="Fingerprint"/> of a request's bytes: <c>sha256:</c> and their digest in lower-case hex.</summary>
    /// <param name="request">The request as its caller sent it (or as it is compared again).</param>
    public static string FingerprintOf(ReadOnlySpan<byte> request) =>
        "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(request));

    /// <summary>What is wrong with <paramref name="key"/> as an idempotency key, or null when it is a good one.</summary>
    /// <param name="key">The key to check.</param>
    public static string? Problem(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "is empty: give 1 to 255 characters, the same on every retry of one request";
        }

        if (key.Length > MaxKeyLength)
        {
            return $"has {key.Length:N0} characters; the limit is {MaxKeyLength}";
        }

        for (var i = 0; i < key.Length; i++)
        {
            if (char.IsControl(key[i]))
            {
                return $"holds a control character (U+{(int)key[i]:X4}) at position {i + 1}";
            }

            if (char.IsHighSurrogate(key[i]) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
            {
                i++; // a pair: one character
            }
            else if (char.IsSurrogate(key[i]))
            {
                // No Unicode text: stored, it could come back as another key (StorableText.SurrogateProblem's case).
                return $"holds an unpaired surrogate (U+{(int)key[i]:X4}) at position {i + 1}";
            }
        }

        return null;
    }
}

/// <summary>What a start did: the instance (a new one, or the one the same idempotency key started before) and its business key.</summary>
/// <param name="Id">The instance.</param>
/// <param name="BusinessKey">Its business key, as the first start gave it.</param>
/// <param name="Repeated">True when the idempotency key had started it before: nothing was started now.</param>
public sealed record StartedInstance(Guid Id, string? BusinessKey, bool Repeated);

/// <summary>An idempotency key came again with another request than the one it started an instance for: nothing was started.</summary>
public sealed class IdempotencyKeyReusedException(string key, Guid instanceId)
    : WorkflowException($"idempotency key '{key}' was given before with another request (it started instance {instanceId}); a key goes with one request: send that request again unchanged, or use a new key for a new request")
{
    /// <summary>The key.</summary>
    public string Key { get; } = key;
}

/// <summary>
/// A start with this idempotency key is still under way on this node: nothing was started; retry after a moment and the
/// answer is the first start's.
/// </summary>
public sealed class IdempotencyKeyBusyException(string key)
    : WorkflowConflictException($"a start with idempotency key '{key}' is still under way; retry the same request in a moment to get its answer")
{
    /// <summary>The key.</summary>
    public string Key { get; } = key;
}
