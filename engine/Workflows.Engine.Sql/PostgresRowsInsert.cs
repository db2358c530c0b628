using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;

namespace Workflows.Engine.Sql;

/// <summary>
/// Several rows of one <c>INSERT … VALUES (…)</c> as one statement on PostgreSQL: each parameter becomes an array of the
/// rows' values and the rows come out of <c>unnest</c>, so the server starts one statement (opens the table and every
/// index, takes their locks, copies the plan) where it started one per row — a start's three clocks, a task's queue
/// entries, a command's searchable variables. The text does not depend on the number of rows, so it stays one prepared
/// statement.
/// </summary>
/// <remarks>
/// Only a plain insert whose values are parameters and whole numbers, of parameter types that have a declared
/// PostgreSQL type, is written this way (<see cref="For"/> is null otherwise): the caller then sends a statement per row.
/// The rows must be of one type; the insert is unguarded (it affects as many rows as it is given, or fails whole).
/// </remarks>
internal sealed partial class PostgresRowsInsert
{
    private static readonly ConcurrentDictionary<(string Sql, Type Type), PostgresRowsInsert?> s_inserts = new();

    private readonly string _sql;
    private readonly Column[] _columns;

    private PostgresRowsInsert(string sql, Column[] columns)
    {
        _sql = sql;
        _columns = columns;
    }

    /// <summary>The one-statement form of <paramref name="sql"/> for rows of <paramref name="rowType"/>, or null when it has none.</summary>
    public static PostgresRowsInsert? For(string sql, Type rowType) => s_inserts.GetOrAdd((sql, rowType), static key => Build(key.Sql, key.Type));

    /// <summary>The statement for <paramref name="rows"/>, all of the type this insert was built for.</summary>
    public NpgsqlBatchCommand Command(IReadOnlyList<object> rows)
    {
        var command = new NpgsqlBatchCommand(_sql);
        foreach (var column in _columns)
        {
            var values = Array.CreateInstance(column.ElementType, rows.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                values.SetValue(column.Getter(rows[i]), i);
            }

            command.Parameters.Add(new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlDbType.Array | column.Type });
        }

        return command;
    }

    private static PostgresRowsInsert? Build(string sql, Type rowType)
    {
        var insert = Insert().Match(sql);
        if (!insert.Success)
        {
            return null;
        }

        var properties = rowType.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        var columns = new List<Column>();
        var names = new List<string>();
        var selected = new List<string>();
        foreach (var value in insert.Groups["values"].Value.Split(',').Select(v => v.Trim()))
        {
            if (Literal().IsMatch(value))
            {
                selected.Add(value);
                continue;
            }

            if (!value.StartsWith('@'))
            {
                return null;
            }

            var name = value[1..];
            var index = names.FindIndex(n => n.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                var property = Array.Find(properties, p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
                if (property is null || Column.Of(property) is not { } column)
                {
                    return null;
                }

                names.Add(name);
                columns.Add(column);
                index = names.Count - 1;
            }

            selected.Add("u.c" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var arrays = string.Join(", ", Enumerable.Range(1, columns.Count).Select(i => "$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var aliases = string.Join(", ", Enumerable.Range(1, columns.Count).Select(i => "c" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return columns.Count == 0
            ? null
            : new PostgresRowsInsert(
                $"INSERT INTO {insert.Groups["table"].Value} ({insert.Groups["columns"].Value}) SELECT {string.Join(", ", selected)} FROM unnest({arrays}) AS u({aliases})",
                [.. columns]);
    }

    /// <summary>One parameter as an array: the element type (nullable where the property is), its declared type, a compiled getter.</summary>
    private sealed record Column(Type ElementType, NpgsqlDbType Type, Func<object, object?> Getter)
    {
        public static Column? Of(PropertyInfo property)
        {
            var nullable = Nullable.GetUnderlyingType(property.PropertyType);
            var type = nullable ?? property.PropertyType;
            var row = Expression.Parameter(typeof(object), "row");
            Expression value = Expression.Property(Expression.Convert(row, property.DeclaringType!), property);
            if (type.IsEnum)
            {
                // As a number, as every other write of the store sends an enum.
                type = Enum.GetUnderlyingType(type);
                value = Expression.Convert(value, nullable is null ? type : typeof(Nullable<>).MakeGenericType(type));
            }

            if (PostgresTypes.Declared(type) is not { } declared || (declared & NpgsqlDbType.Array) != 0)
            {
                return null;
            }

            var element = nullable is not null ? typeof(Nullable<>).MakeGenericType(type) : type;
            var getter = Expression.Lambda<Func<object, object?>>(Expression.Convert(value, typeof(object)), row).Compile();
            return new Column(element, declared, getter);
        }
    }

    [GeneratedRegex(@"^\s*INSERT INTO (?<table>\w+) \((?<columns>[\w\s,]+)\)\s*VALUES\s*\((?<values>[^()']*)\)\s*$", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Insert();

    [GeneratedRegex(@"^-?\d+$")]
    private static partial Regex Literal();
}
