using System.Data;
using System.Globalization;
using System.Text;
using Dapper;

namespace Workflows.Engine.Sql;

/// <summary>
/// A column the store writes as bytes (an instance's state), as it is read back: a BLOB's bytes, or the UTF-8 bytes of a
/// TEXT. SQLite lets a value's storage class vary from row to row, and a row that a tool rewrote (the sqlite3 shell, a
/// dump and restore, another writer) can hold its state as TEXT: read so, the state is the same JSON; read into a byte
/// array as it was, the read failed with the whole state (every variable of the case) in Dapper's message.
/// </summary>
/// <remarks>
/// Read alike by both of SQLite's readers: <see cref="SqliteRowReader"/> (a TEXT or a BLOB; another class is Dapper's)
/// and Dapper through <see cref="Handler"/>. A number, which no state is, is read as its text: the state reader then
/// refuses the instance as unreadable, naming it, as it refuses any state that is not JSON.
/// </remarks>
internal readonly struct StoredBytes(byte[]? bytes)
{
    private readonly byte[]? _bytes = bytes;

    /// <summary>The bytes; none for a null (as the byte array member it replaces was left empty).</summary>
    public byte[] Bytes => _bytes ?? [];

    /// <summary>Dapper's reading of the column: a BLOB's bytes as they are, a TEXT's as UTF-8, a number's text as UTF-8.</summary>
    internal sealed class Handler : SqlMapper.TypeHandler<StoredBytes>
    {
        public override StoredBytes Parse(object value) => new(value switch
        {
            byte[] b => b,
            string s => Encoding.UTF8.GetBytes(s),
            IFormattable number => Encoding.UTF8.GetBytes(number.ToString(null, CultureInfo.InvariantCulture)),
            // Dapper quotes the value in the error it wraps this in; the store takes that error's text apart (UnquotedRead).
            _ => throw new DataException($"a {value.GetType().Name} where the store keeps bytes"),
        });

        // Never a parameter: the store writes the bytes themselves.
        public override void SetValue(IDbDataParameter parameter, StoredBytes value) => parameter.Value = value.Bytes;
    }
}
