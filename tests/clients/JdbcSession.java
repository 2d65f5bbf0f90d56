// pgJDBC (Debian's libpostgresql-jdbc-java) against `convlake serve`, as a
// Java BI tool connects: DatabaseMetaData, then one prepared statement run
// ten times (pgJDBC switches to a server-prepared, binary statement after
// the fifth), and every column type of conversation_facts the same in text
// and binary. Run by tests/serve.rs; exits non-zero naming the check.
//
//     java -cp postgresql.jar JdbcSession.java PORT USER PASSWORD EXPECTED_OPENED_WS01
import java.sql.*;
import java.util.*;

public class JdbcSession {
    static void check(String name, boolean ok, Object detail) {
        if (!ok) {
            System.err.println(name + ": " + detail);
            System.exit(1);
        }
    }

    static Set<String> names(DatabaseMetaData md, String type) throws SQLException {
        Set<String> out = new TreeSet<>();
        try (ResultSet rs = md.getTables(null, "public", "%", new String[] {type})) {
            while (rs.next()) out.add(rs.getString("TABLE_NAME"));
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/convlake?sslmode=disable";
        try (Connection c = DriverManager.getConnection(url, args[1], args[2])) {
            DatabaseMetaData md = c.getMetaData();
            Set<String> tables = names(md, "TABLE");
            check("tables", tables.containsAll(List.of("events", "contacts", "users", "teams", "channels", "establishments", "workspaces")), tables);
            Set<String> views = names(md, "VIEW");
            check("views", views.containsAll(List.of("conversation_list", "conversation_summary", "heatmap_opened")), views);
            List<String> columns = new ArrayList<>();
            try (ResultSet rs = md.getColumns(null, "public", "conversation_summary", "%")) {
                while (rs.next()) columns.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
            }
            check("columns", columns.size() == 2 && columns.get(0).startsWith("opened:") && columns.get(1).startsWith("closed:"), columns);
            long expected = Long.parseLong(args[3]);
            try (PreparedStatement ps = c.prepareStatement(
                    "select count(*) from events where workspace_id = ? and event_type = ?")) {
                for (int i = 0; i < 10; i++) {
                    ps.setString(1, "ws01");
                    ps.setString(2, "conversation_opened");
                    try (ResultSet rs = ps.executeQuery()) {
                        check("row", rs.next(), "no row at run " + i);
                        long got = rs.getLong(1);
                        check("run " + i, got == expected, got + " != " + expected);
                    }
                }
            }
            // Every column type of a view, read the same whether pgJDBC
            // asked for text (runs 0 to 4) or binary values (runs 5 to 9).
            try (java.sql.Statement st = c.createStatement()) {
                st.execute("set convlake.period = 'all'");
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "select * from conversation_facts where workspace_id = ? order by conversation_id limit 50")) {
                String first = null;
                for (int i = 0; i < 10; i++) {
                    ps.setString(1, "ws01");
                    StringBuilder rows = new StringBuilder();
                    try (ResultSet rs = ps.executeQuery()) {
                        int n = rs.getMetaData().getColumnCount();
                        while (rs.next()) {
                            for (int k = 1; k <= n; k++) {
                                Object v = rs.getObject(k);
                                if (v instanceof java.sql.Timestamp t) v = t.toInstant();
                                if (v instanceof java.sql.Array a) v = java.util.Arrays.deepToString((Object[]) a.getArray());
                                rows.append(v).append('|');
                            }
                            rows.append('\n');
                        }
                    }
                    check("facts rows", rows.length() > 0, "none");
                    if (first == null) first = rows.toString();
                    check("facts, run " + i, first.equals(rows.toString()), rows + "\n!=\n" + first);
                }
            }
        }
        System.out.println("ok");
    }
}
