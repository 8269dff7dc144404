// Reads host secrets from Java: /etc/shadow, root's home, the canaries, the checkout.
// Contained: none readable.
import java.nio.file.Files;
import java.nio.file.Path;

public class Main {
    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }

    public static void main(String[] args) {
        for (int i = 1; i < args.length; i++) {
            String path = args[i];
            boolean shown = !path.startsWith("/etc/shadow") && !path.startsWith("/root/.ssh");
            try {
                if (Files.isDirectory(Path.of(path))) {
                    String[] names = new java.io.File(path).list();
                    System.out.println("{\"probe\": " + quote("list:" + path) + ", \"ok\": " + (names != null)
                            + ", \"detail\": " + quote(names == null ? "" : String.join(",", names)) + "}");
                    continue;
                }
                byte[] data = Files.readAllBytes(Path.of(path));
                String text = new String(data, 0, Math.min(data.length, 4096), "ISO-8859-1");
                System.out.println("{\"probe\": " + quote("read:" + path) + ", \"ok\": true, \"detail\": "
                        + quote(shown ? text : String.valueOf(data.length)) + "}");
            } catch (Exception e) {
                System.out.println("{\"probe\": " + quote("read:" + path) + ", \"ok\": false, \"detail\": "
                        + quote(e.getClass().getSimpleName()) + "}");
            }
        }
    }
}
