using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;

namespace Workflows.Engine.Sql;

/// <summary>
/// Many rows of one statement as a few commands: each command repeats the statement once per row, its
/// parameters renamed <c>@Name_i</c>, so a server gets a whole batch in one round trip.
/// </summary>
internal static partial class StatementBatch
{
    // Under SQL Server's 2,100 parameters per command, and few enough statements to parse quickly.
    private const int MaxParameters = 2000;
    private const int MaxStatements = 200;

    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> s_properties = new();

    public static IEnumerable<(string Sql, DynamicParameters Parameters)> Build(string sql, IEnumerable<object> rows)
    {
        var names = Parameter().Matches(sql).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var perCommand = Math.Clamp(MaxParameters / Math.Max(1, names.Count), 1, MaxStatements);
        foreach (var chunk in rows.Chunk(perCommand))
        {
            var text = new StringBuilder();
            var parameters = new DynamicParameters();
            for (var i = 0; i < chunk.Length; i++)
            {
                var suffix = "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                text.Append(Parameter().Replace(sql, m => m.Value + suffix)).Append(";\n");
                foreach (var property in s_properties.GetOrAdd(chunk[i].GetType(), t => t.GetProperties()))
                {
                    if (names.Contains(property.Name))
                    {
                        parameters.Add(property.Name + suffix, property.GetValue(chunk[i]));
                    }
                }
            }

            yield return (text.ToString(), parameters);
        }
    }

    /// <summary>The statement with <c>$1, $2…</c> for its parameters, and their names in that order.</summary>
    public static (string Sql, IReadOnlyList<string> Names) Positional(string sql)
    {
        var names = new List<string>();
        var text = Parameter().Replace(sql, m =>
        {
            var index = names.FindIndex(n => n.Equals(m.Groups[1].Value, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                names.Add(m.Groups[1].Value);
                index = names.Count - 1;
            }

            return "$" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        return (text, names);
    }

    /// <summary>A row's values for the named parameters, in order, each with its declared type (a null's too).</summary>
    public static IEnumerable<(object? Value, Type Type)> Values(object row, IReadOnlyList<string> names)
    {
        var properties = s_properties.GetOrAdd(row.GetType(), t => t.GetProperties());
        foreach (var name in names)
        {
            var property = Array.Find(properties, p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                ?? throw new InvalidOperationException($"the row has no value for @{name}");
            yield return (property.GetValue(row), Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType);
        }
    }

    [GeneratedRegex(@"@(\w+)")]
    private static partial Regex Parameter();
}
