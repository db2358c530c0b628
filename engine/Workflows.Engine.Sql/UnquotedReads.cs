using System.Data;

namespace Workflows.Engine.Sql;

/// <summary>
/// Dapper's error for a column value it cannot convert quotes the value (<c>Error parsing column 10 (state={...} -
/// String)</c>): an instance's state with every variable of the case, a customer's name. Such an error would carry case
/// data into logs and problem details; the store's reads throw <see cref="Of"/> instead, which names the column, its
/// position and the value's class, never the value.
/// </summary>
internal static class UnquotedReads
{
    private const string Prefix = "Error parsing column ";

    /// <summary>The error without the value, for Dapper's error of a value it could not convert; null for any other.</summary>
    /// <remarks>The cause is named by its type only: a conversion's own message can quote the value too (.NET's number parsing does).</remarks>
    public static InvalidDataException? Of(Exception exception)
    {
        if (exception is not DataException { Message: var message } || !message.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var open = message.IndexOf(" (", Prefix.Length, StringComparison.Ordinal);
        var equals = open < 0 ? -1 : message.IndexOf('=', open);
        if (equals < 0)
        {
            return null;
        }

        var index = message[Prefix.Length..open];
        var name = message[(open + 2)..equals];
        // "name=value - TypeCode)": the class follows the last " - " (a value may hold one; a type code never does).
        var cut = message.LastIndexOf(" - ", StringComparison.Ordinal);
        var kind = cut > equals && Enum.TryParse<TypeCode>(message[(cut + 3)..].TrimEnd(')'), out var code) ? $"a {code} value" : "a value";
        var cause = exception.InnerException is { } inner ? $" ({inner.GetType().Name})" : "";
        return new InvalidDataException(
            $"a stored row cannot be read: its column {index} ({name}) holds {kind} the store cannot take{cause}; the value is not shown, as it may be a case's data");
    }
}
