using System.Buffers.Text;
using System.Collections.Concurrent;
using System.ComponentModel;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using Dapper;
using SQLitePCL;

namespace Workflows.Engine.Sql;

/// <summary>
/// Row readers for <see cref="SqliteReadStatement"/>: each makes a row from the statement's current values as Dapper
/// makes it from Microsoft.Data.Sqlite's data reader, compiled once per row type, column names and first row's classes.
/// </summary>
/// <remarks>
/// What they follow (Dapper 2.1 over Microsoft.Data.Sqlite 10):
/// <list type="bullet">
/// <item>The driver hands a value as its storage class (an integer as a long, a real as a double, a text as a string
/// decoded from UTF-8, a blob as a byte array) and types a column by its first row's value, or for a null by the
/// affinity of the column's declared type; Dapper's converter for each column is made for that type, so a later row
/// whose value has another class is refused here (Dapper converts some and fails on others).</item>
/// <item>A class: each column sets the member Dapper's type map names for it (snake_case to PascalCase), converted as
/// Dapper converts (checked narrowing, a number's invariant text, a uuid through the store's handler: its text parsed,
/// or its 16 bytes; <see cref="StoredBytes"/> through its handler: a BLOB's bytes or a TEXT's, whatever the first row's
/// class); a null leaves the member as the constructor set it, unless Dapper's <c>ApplyNullValues</c>.</item>
/// <item>A value tuple: the columns by position, a null its element's default.</item>
/// <item>A single value (a text, a long, a double, bytes, a uuid): the first column's value, a null as null.</item>
/// </list>
/// Anything else (another row shape, a member type or conversion not listed here) has no reader: the read is Dapper's.
/// </remarks>
internal static class SqliteRowReader
{
    /// <summary>The most columns a class's or a tuple's reader is made for (two bits each of the 128 in its key).</summary>
    public const int MaxColumns = 64;

    private static readonly ConcurrentDictionary<(Type Row, string Columns, UInt128 Classes, bool ApplyNulls), Delegate?> s_readers = new();
    private static readonly MethodInfo s_columnType = typeof(raw).GetMethod(nameof(raw.sqlite3_column_type))!;

    /// <summary>Makes the statement's current row; false when a value's class is not the column's (Dapper then reads).</summary>
    public delegate bool Read<TRow>(sqlite3_stmt statement, out TRow row);

    /// <summary>A column's class in the key of a reader (SQLite's type codes 1–4: integer, float, text, blob).</summary>
    public static UInt128 Pack(int sqliteType, int column) => (UInt128)(uint)(sqliteType - 1) << (2 * column);

    /// <summary>Whether Dapper reads the type as one value (the first column's), not as a row of members.</summary>
    public static bool IsScalar(Type type) => !IsValueTuple(type) && (!type.IsClass || type == typeof(string) || type.IsArray || type == typeof(object));

    /// <summary>
    /// The storage class the driver gives a column whose first value is null, from its declared type: integer for a
    /// name with INT, text for CHAR, CLOB or TEXT, blob for BLOB or none, float for REAL, FLOA or DOUB, else text.
    /// </summary>
    public static int Affinity(string? declared)
    {
        if (declared is null)
        {
            return raw.SQLITE_BLOB;
        }

        var cut = declared.IndexOf('(', StringComparison.Ordinal);
        var name = cut < 0 ? declared : declared[..cut];
        return Has("INT") ? raw.SQLITE_INTEGER
            : Has("CHAR") || Has("CLOB") || Has("TEXT") ? raw.SQLITE_TEXT
            : Has("BLOB") ? raw.SQLITE_BLOB
            : Has("REAL") || Has("FLOA") || Has("DOUB") ? raw.SQLITE_FLOAT
            : raw.SQLITE_TEXT;

        bool Has(string part) => name.Contains(part, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The reader of <typeparamref name="TRow"/> from these columns (names joined by new lines) and classes; null when Dapper must read them.</summary>
    public static Read<TRow>? For<TRow>(string columns, UInt128 classes) =>
        (Read<TRow>?)s_readers.GetOrAdd((typeof(TRow), columns, classes, SqlMapper.Settings.ApplyNullValues), static key => Make<TRow>(key.Columns, key.Classes, key.ApplyNulls));

    private static Delegate? Make<TRow>(string columns, UInt128 classes, bool applyNulls)
    {
        var type = typeof(TRow);
        if (IsScalar(type))
        {
            return Scalar(type);
        }

        if (SqlMapper.HasTypeHandler(type) || Nullable.GetUnderlyingType(type) is not null)
        {
            return null; // a class read by a handler, a nullable tuple
        }

        var names = columns.Split('\n');
        var statement = Expression.Parameter(typeof(sqlite3_stmt), "statement");
        var row = Expression.Parameter(type.MakeByRefType(), "row");
        var refused = Expression.Label(typeof(bool), "refused");
        var body = IsValueTuple(type)
            ? Tuple(type, names, classes, statement, row, refused)
            : Class(type, names, classes, applyNulls, statement, row, refused);
        return body is null ? null : Expression.Lambda<Read<TRow>>(body, statement, row).Compile();
    }

    // The columns by position into the tuple's constructor (Dapper reads one column per element, up to the columns there are).
    private static BlockExpression? Tuple(Type type, string[] names, UInt128 classes, ParameterExpression statement, ParameterExpression row, LabelTarget refused)
    {
        var elements = type.GetGenericArguments();
        if (elements.Length > 7 || names.Length > MaxColumns)
        {
            return null; // a tuple of more than seven nests its rest
        }

        var values = elements.Select((t, i) => Expression.Variable(t, "item" + (i + 1))).ToArray();
        var columnType = Expression.Variable(typeof(int), "type");
        var body = new List<Expression> { Expression.Assign(row, Expression.Default(type)) };
        for (var i = 0; i < elements.Length; i++)
        {
            body.Add(Expression.Assign(values[i], Expression.Default(elements[i])));
            if (i >= names.Length)
            {
                continue;
            }

            var reads = Reads(Unpack(classes, i), elements[i], statement, i);
            if (reads.Count == 0)
            {
                return null;
            }

            var value = values[i];
            body.Add(Column(statement, i, columnType, reads.ConvertAll(r => (r.Class, (Expression)Expression.Assign(value, r.Value))), Expression.Empty(), refused));
        }

        body.Add(Expression.Assign(row, Expression.New(type.GetConstructor(elements)!, values)));
        body.Add(Expression.Label(refused, Expression.Constant(true)));
        return Expression.Block([.. values, columnType], body);
    }

    // A new object, then each column into the member Dapper's type map names for it.
    private static BlockExpression? Class(Type type, string[] names, UInt128 classes, bool applyNulls, ParameterExpression statement, ParameterExpression row, LabelTarget refused)
    {
        var map = SqlMapper.GetTypeMap(type);
        if (type.IsAbstract || names.Length > MaxColumns || typeof(ISupportInitialize).IsAssignableFrom(type) || map.FindExplicitConstructor() is not null)
        {
            return null;
        }

        var types = names.Select((_, i) => ClrType(Unpack(classes, i))).ToArray();
        if (map.FindConstructor(names, types) is not { } constructor || constructor.GetParameters().Length != 0)
        {
            return null; // Dapper would construct it from the columns
        }

        var target = Expression.Variable(type, "target");
        var columnType = Expression.Variable(typeof(int), "type");
        var body = new List<Expression> { Expression.Assign(row, Expression.Default(type)), Expression.Assign(target, Expression.New(constructor)) };
        for (var i = 0; i < names.Length; i++)
        {
            if (map.GetMember(names[i]) is not { } member)
            {
                continue; // a column no member takes
            }

            Func<Expression, Expression>? set = member.Property is { } property
                ? property.GetSetMethod(nonPublic: true) is { } setter ? v => Expression.Call(target, setter, v) : null
                : member.Field is { IsInitOnly: false } field ? v => Expression.Assign(Expression.Field(target, field), v) : null;
            var reads = Reads(Unpack(classes, i), member.MemberType, statement, i);
            if (set is null || reads.Count == 0)
            {
                return null;
            }

            var onNull = applyNulls && (!member.MemberType.IsValueType || Nullable.GetUnderlyingType(member.MemberType) is not null)
                ? set(Expression.Default(member.MemberType))
                : Expression.Empty();
            body.Add(Column(statement, i, columnType, reads.ConvertAll(r => (r.Class, set(r.Value))), onNull, refused));
        }

        body.Add(Expression.Assign(row, target));
        body.Add(Expression.Label(refused, Expression.Constant(true)));
        return Expression.Block([target, columnType], body);
    }

    // switch (sqlite3_column_type(statement, i)) { case a class read: read it; case NULL: onNull; default: return false; }
    private static Expression Column(ParameterExpression statement, int i, ParameterExpression columnType, List<(int Class, Expression Read)> reads, Expression onNull, LabelTarget refused) =>
        Expression.Block(
            Expression.Assign(columnType, Expression.Call(s_columnType, statement, Expression.Constant(i))),
            Expression.Switch(
                typeof(void),
                columnType,
                Expression.Return(refused, Expression.Constant(false)),
                null,
                [
                    .. reads.Select(r => Expression.SwitchCase(Expression.Block(typeof(void), r.Read), Expression.Constant(r.Class))),
                    Expression.SwitchCase(Expression.Block(typeof(void), onNull), Expression.Constant(raw.SQLITE_NULL)),
                ]));

    // The values of column i a member of type `target` takes, by their storage class, converted as Dapper converts the
    // driver's value, given the type the driver reported for the column (`columnClass`, from the first row); none when
    // Dapper's reading is not made here. Dapper reads a uuid through the store's handler whatever the column's type, and a
    // column typed as a blob (a first value null, of no declared type: an expression, a view's column) into another type
    // through Convert.ChangeType, so from whatever each value is; any other column from its type's values only.
    private static List<(int Class, Expression Value)> Reads(int columnClass, Type target, ParameterExpression statement, int i)
    {
        var underlying = Nullable.GetUnderlyingType(target);
        var type = underlying ?? target;
        var column = Expression.Constant(i);
        var reads = new List<(int Class, Expression? Value)>();
        if (type == typeof(Guid) && SqlMapper.HasTypeHandler(type))
        {
            reads.Add((raw.SQLITE_TEXT, Call(nameof(Uuid), statement, column)));
            reads.Add((raw.SQLITE_BLOB, Call(nameof(UuidOfBytes), statement, column)));
        }
        else if (type == typeof(StoredBytes))
        {
            // The store's handler takes a BLOB's bytes, and a TEXT's as the driver decodes it and UTF-8 encodes it again
            // (whatever the column's first row was); a number is left to Dapper.
            reads.Add((raw.SQLITE_BLOB, Call(nameof(StoredBlob), statement, column)));
            reads.Add((raw.SQLITE_TEXT, Call(nameof(StoredText), statement, column)));
        }
        else if (SqlMapper.HasTypeHandler(type) || type == typeof(char))
        {
            return [];
        }
        else if (columnClass == raw.SQLITE_BLOB && underlying is not null && !underlying.IsEnum)
        {
            // A nullable's type code is an object's, as a byte array's is: Dapper unboxes the value as it is.
            reads.Add((raw.SQLITE_INTEGER, type == typeof(long) ? Call(nameof(Int64), statement, column) : null));
            reads.Add((raw.SQLITE_FLOAT, type == typeof(double) ? Call(nameof(Double), statement, column) : null));
        }
        else if (columnClass == raw.SQLITE_BLOB && type != typeof(byte[]))
        {
            reads.Add((raw.SQLITE_INTEGER, ChangeInteger(Call(nameof(Int64), statement, column), type)));
            reads.Add((raw.SQLITE_FLOAT, ChangeReal(Call(nameof(Double), statement, column), type)));
            reads.Add((raw.SQLITE_TEXT, type == typeof(string) ? Call(nameof(Text), statement, column) : null));
        }
        else
        {
            reads.Add((columnClass, columnClass switch
            {
                raw.SQLITE_INTEGER => FromInteger(Call(nameof(Int64), statement, column), type),
                raw.SQLITE_FLOAT => FromReal(Call(nameof(Double), statement, column), type),
                raw.SQLITE_TEXT => type == typeof(string) ? Call(nameof(Text), statement, column) : null,
                _ => type == typeof(byte[]) ? Call(nameof(Blob), statement, column) : null,
            }));
        }

        return [.. reads.Where(r => r.Value is not null).Select(r => (r.Class, underlying is null ? r.Value! : Expression.Convert(r.Value!, target)))];
    }

    // Convert.ChangeType of a long (invariant culture): checked narrowing, a bool its being non-zero, an enum through its
    // underlying type (which Dapper then unboxes as the enum).
    private static Expression? ChangeInteger(Expression value, Type type) =>
        type.IsEnum ? Expression.Convert(Expression.ConvertChecked(value, Enum.GetUnderlyingType(type)), type)
        : type == typeof(bool) ? Expression.NotEqual(value, Expression.Constant(0L))
        : type == typeof(ulong) ? Expression.ConvertChecked(value, type)
        : FromInteger(value, type);

    // Convert.ChangeType of a double: a cast for these (it rounds to an integer, which is left to Dapper).
    private static Expression? ChangeReal(Expression value, Type type) =>
        type == typeof(double) || type == typeof(float) || type == typeof(decimal) || type == typeof(string) ? FromReal(value, type) : null;

    // Dapper's conversions of a long: checked narrowing (a bool is the int's being non-zero), a float or decimal as C#
    // converts, a text in the invariant culture, an enum through its underlying type.
    private static Expression? FromInteger(Expression value, Type type)
    {
        if (type.IsEnum)
        {
            var number = Enum.GetUnderlyingType(type);
            return number == typeof(ulong) || number == typeof(char) ? null : Expression.Convert(Expression.ConvertChecked(value, number), type);
        }

        return type == typeof(long) ? value
            : type == typeof(int) || type == typeof(short) || type == typeof(sbyte) || type == typeof(byte) || type == typeof(ushort) || type == typeof(uint)
                ? Expression.ConvertChecked(value, type)
            : type == typeof(bool) ? Expression.NotEqual(Expression.ConvertChecked(value, typeof(int)), Expression.Constant(0))
            : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? Expression.Convert(value, type)
            : type == typeof(string) ? Expression.Call(value, typeof(long).GetMethod(nameof(long.ToString), [typeof(IFormatProvider)])!, Expression.Constant(CultureInfo.InvariantCulture, typeof(IFormatProvider)))
            : null;
    }

    // Dapper's conversions of a double (the unsigned narrowings, which it makes with unsigned-source opcodes, are Dapper's).
    private static Expression? FromReal(Expression value, Type type) =>
        type == typeof(double) ? value
        : type == typeof(long) || type == typeof(int) || type == typeof(short) || type == typeof(sbyte) ? Expression.ConvertChecked(value, type)
        : type == typeof(bool) ? Expression.NotEqual(Expression.ConvertChecked(value, typeof(int)), Expression.Constant(0))
        : type == typeof(float) || type == typeof(decimal) ? Expression.Convert(value, type)
        : type == typeof(string) ? Expression.Call(value, typeof(double).GetMethod(nameof(double.ToString), [typeof(IFormatProvider)])!, Expression.Constant(CultureInfo.InvariantCulture, typeof(IFormatProvider)))
        : null;

    // A single value: the first column's, as it is (Dapper's untyped parser hands the driver's value, cast to the type,
    // which fails for a value of any other class, and for a null unless the type takes one).
    private static Delegate? Scalar(Type type) =>
        type == typeof(string) ? Single<string?>(nullable: true, (raw.SQLITE_TEXT, Text))
        : type == typeof(long) ? Single(nullable: false, (raw.SQLITE_INTEGER, Int64))
        : type == typeof(long?) ? Single<long?>(nullable: true, (raw.SQLITE_INTEGER, (s, i) => Int64(s, i)))
        : type == typeof(double) ? Single(nullable: false, (raw.SQLITE_FLOAT, Double))
        : type == typeof(double?) ? Single<double?>(nullable: true, (raw.SQLITE_FLOAT, (s, i) => Double(s, i)))
        : type == typeof(byte[]) ? Single<byte[]?>(nullable: true, (raw.SQLITE_BLOB, Blob))
        : type == typeof(Guid) && SqlMapper.HasTypeHandler(type) ? Single(nullable: false, (raw.SQLITE_TEXT, Uuid), (raw.SQLITE_BLOB, UuidOfBytes))
        : type == typeof(Guid?) && SqlMapper.HasTypeHandler(type) ? Single<Guid?>(nullable: true, (raw.SQLITE_TEXT, (s, i) => Uuid(s, i)), (raw.SQLITE_BLOB, (s, i) => UuidOfBytes(s, i)))
        : null;

    private static Read<T> Single<T>(bool nullable, params (int Class, Func<sqlite3_stmt, int, T> Read)[] reads) =>
        (sqlite3_stmt statement, out T row) =>
        {
            var type = raw.sqlite3_column_type(statement, 0);
            foreach (var (kind, read) in reads)
            {
                if (type == kind)
                {
                    row = read(statement, 0);
                    return true;
                }
            }

            row = default!;
            return nullable && type == raw.SQLITE_NULL;
        };

    private static long Int64(sqlite3_stmt statement, int i) => raw.sqlite3_column_int64(statement, i);

    private static double Double(sqlite3_stmt statement, int i) => raw.sqlite3_column_double(statement, i);

    // As the driver decodes a text (invalid UTF-8 becomes U+FFFD).
    private static string Text(sqlite3_stmt statement, int i) => raw.sqlite3_column_text(statement, i).utf8_to_string();

    private static byte[] Blob(sqlite3_stmt statement, int i) => raw.sqlite3_column_blob(statement, i).ToArray();

    // The store's uuid handler parses the driver's string; a uuid in its usual form is parsed from the UTF-8 bytes
    // without one (the same value), any other through the string as the handler does.
    private static Guid Uuid(sqlite3_stmt statement, int i)
    {
        var bytes = raw.sqlite3_column_blob(statement, i);
        return bytes.Length == 36 && Utf8Parser.TryParse(bytes, out Guid uuid, out var used, 'D') && used == 36 ? uuid : Guid.Parse(Text(statement, i));
    }

    // The store's handler reads a blob's bytes as a uuid (16 of them, or it fails: Dapper then reads and fails).
    private static Guid UuidOfBytes(sqlite3_stmt statement, int i) => new(Blob(statement, i));

    private static StoredBytes StoredBlob(sqlite3_stmt statement, int i) => new(Blob(statement, i));

    private static StoredBytes StoredText(sqlite3_stmt statement, int i) => new(System.Text.Encoding.UTF8.GetBytes(Text(statement, i)));

    private static MethodCallExpression Call(string method, params Expression[] arguments) =>
        Expression.Call(typeof(SqliteRowReader).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!, arguments);

    private static int Unpack(UInt128 classes, int column) => (int)(uint)((classes >> (2 * column)) & 3) + 1;

    private static Type ClrType(int sqliteType) => sqliteType switch
    {
        raw.SQLITE_INTEGER => typeof(long),
        raw.SQLITE_FLOAT => typeof(double),
        raw.SQLITE_TEXT => typeof(string),
        _ => typeof(byte[]),
    };

    private static bool IsValueTuple(Type type) =>
        (type.IsValueType && type.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true)
        || (Nullable.GetUnderlyingType(type) is { } underlying && IsValueTuple(underlying));
}
