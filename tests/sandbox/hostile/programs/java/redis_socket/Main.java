// Sockets from Java to the host's loopback services: Redis (sets a key), PostgreSQL, the
// test's listeners. Contained: every connection fails.
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

public class Main {
    public static void main(String[] args) {
        String marker = args[0];
        for (int i = 1; i + 1 < args.length; i += 2) {
            String host = args[i];
            int port = Integer.parseInt(args[i + 1]);
            String probe = "\"tcp:" + host + ":" + port + "\"";
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), 1000);
                OutputStream out = socket.getOutputStream();
                if (port == 6379) {
                    out.write(("*3\r\n$3\r\nSET\r\n$" + marker.length() + "\r\n" + marker + "\r\n$7\r\nescaped\r\n")
                            .getBytes("US-ASCII"));
                } else {
                    out.write((marker + "\n").getBytes("US-ASCII"));
                }
                out.flush();
                socket.setSoTimeout(1000);
                int first = socket.getInputStream().read();
                System.out.println("{\"probe\": " + probe + ", \"ok\": true, \"detail\": " + first + "}");
            } catch (Exception e) {
                System.out.println("{\"probe\": " + probe + ", \"ok\": false, \"detail\": \""
                        + e.getClass().getSimpleName() + "\"}");
            }
        }
    }
}
