package io.linkly.app;

import static io.linkly.app.LinklyFixture.json;
import static io.linkly.app.LinklyFixture.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.MultiFormatReader;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import io.linkly.iii.engine.config.ConfigException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** {@code GET /links/:code/qr.svg} and {@code qr.png}, over real HTTP, read back with ZXing's decoder. */
class QrCodeTest {

  static {
    System.setProperty("java.awt.headless", "true");
  }

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  /** One run of dark modules as QrWorker draws it: a 1-module-high rectangle. */
  private static final Pattern RUN = Pattern.compile("M(\\d+) (\\d+)h(\\d+)v1h-(\\d+)z");

  @TempDir static Path data;
  private static Linkly linkly;
  private static String base;
  /** What the JDK client sends as Host: the short URL is built from it. */
  private static String shortUrl;

  @BeforeAll
  static void start() throws Exception {
    linkly = Linkly.start(Linkly.config(LinklyFixture.env(data)::get), Clock.systemUTC());
    base = linkly.httpUrl();
    assertThat(post(base + "/links", "{\"url\":\"https://iii.dev/qr\",\"code\":\"qr-me\"}").statusCode()).isEqualTo(201);
    shortUrl = "http://" + URI.create(base).getAuthority() + "/s/qr-me";
  }

  @AfterAll
  static void stop() {
    linkly.close();
  }

  @Test
  void theSvgIsWellFormedAndDecodesToTheShortUrl() throws Exception {
    HttpResponse<String> response = LinklyFixture.get(base + "/links/qr-me/qr.svg");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("image/svg+xml");
    assertThat(response.headers().firstValue("cache-control")).hasValue("public, max-age=86400");
    assertThat(decode(rasterise(response.body()))).isEqualTo(shortUrl);
  }

  @Test
  void thePngIsAPngOfTheDefaultSizeThatDecodesToTheShortUrl() throws Exception {
    HttpResponse<byte[]> response = getBytes(base + "/links/qr-me/qr.png");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("image/png");
    assertThat(response.headers().firstValue("cache-control")).hasValue("public, max-age=86400");
    assertThat(Arrays.copyOf(response.body(), PNG_SIGNATURE.length)).isEqualTo(PNG_SIGNATURE);
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(response.body()));
    assertThat(image.getWidth()).isEqualTo(256);
    assertThat(image.getHeight()).isEqualTo(256);
    assertThat(decode(image)).isEqualTo(shortUrl);
  }

  @ParameterizedTest
  @ValueSource(ints = {64, 333, 2048})
  void thePngHasTheRequestedSize(int size) throws Exception {
    HttpResponse<byte[]> response = getBytes(base + "/links/qr-me/qr.png?size=" + size);

    assertThat(response.statusCode()).isEqualTo(200);
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(response.body()));
    assertThat(image.getWidth()).isEqualTo(size);
    assertThat(image.getHeight()).isEqualTo(size);
    assertThat(decode(image)).isEqualTo(shortUrl);
  }

  @Test
  void aPercentEncodedCodeIsDecoded() throws Exception {
    HttpResponse<byte[]> response = getBytes(base + "/links/%71r-%6De/qr.png");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(decode(ImageIO.read(new ByteArrayInputStream(response.body())))).isEqualTo(shortUrl);
  }

  @ParameterizedTest
  @ValueSource(strings = {"qr.svg", "qr.png"})
  void anUnknownCodeIs404(String file) throws Exception {
    HttpResponse<String> response = LinklyFixture.get(base + "/links/no-such-link/" + file);

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(json(response.body())).isEqualTo(json("{\"error\":\"link not found\"}"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"63", "2049", "0", "-5", "abc", "256px", "1e3", "", "99999999999"})
  void aBadSizeIs400(String size) throws Exception {
    HttpResponse<String> response = LinklyFixture.get(base + "/links/qr-me/qr.png?size=" + size);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(json(response.body()).get("error").asText()).contains("\"size\"");
  }

  @Test
  void theShortUrlTakesTheRequestsHostAndABadHostIs400() throws Exception {
    String svg = bodyOf(rawGet("/links/qr-me/qr.svg", "lin.example:8080"));
    assertThat(decode(rasterise(svg))).isEqualTo("http://lin.example:8080/s/qr-me");

    String refused = rawGet("/links/qr-me/qr.svg", "evil.example/phish?");
    assertThat(refused).startsWith("HTTP/1.1 400 ");
    assertThat(json(bodyOf(refused)).get("error").asText()).contains("Host header");
  }

  @Test
  void aSizeTooSmallForTheCodesModulesIs400() throws Exception {
    String longHost = "a".repeat(200) + ".example"; // a long short URL: more modules than 64 pixels
    String refused = rawGet("/links/qr-me/qr.png?size=64", longHost);
    assertThat(refused).startsWith("HTTP/1.1 400 ");
    assertThat(json(bodyOf(refused)).get("error").asText()).contains("too small");
    assertThat(rawGet("/links/qr-me/qr.png?size=512", longHost)).startsWith("HTTP/1.1 200 ");
  }

  @Test
  void linklyPublicUrlIsHonoured(@TempDir Path otherData) throws Exception {
    Map<String, String> env = new HashMap<>(LinklyFixture.env(otherData));
    env.put("LINKLY_PUBLIC_URL", "https://lin.ky/");
    try (Linkly other = Linkly.start(Linkly.config(env::get), Clock.systemUTC())) {
      assertThat(post(other.httpUrl() + "/links", "{\"url\":\"https://iii.dev\",\"code\":\"pub\"}").statusCode()).isEqualTo(201);

      HttpResponse<byte[]> png = getBytes(other.httpUrl() + "/links/pub/qr.png");
      assertThat(decode(ImageIO.read(new ByteArrayInputStream(png.body())))).isEqualTo("https://lin.ky/s/pub");
      String svg = LinklyFixture.get(other.httpUrl() + "/links/pub/qr.svg").body();
      assertThat(decode(rasterise(svg))).isEqualTo("https://lin.ky/s/pub");
    }
  }

  @Test
  void aLinklyPublicUrlThatIsNotAnHttpUrlStopsTheStart(@TempDir Path otherData) {
    Map<String, String> env = new HashMap<>(LinklyFixture.env(otherData));
    env.put("LINKLY_PUBLIC_URL", "lin.ky");
    assertThatThrownBy(() -> Linkly.start(Linkly.config(env::get), Clock.systemUTC()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LINKLY_PUBLIC_URL");
  }

  // ------------------------------------------------------------------ helpers

  private static HttpResponse<byte[]> getBytes(String url) throws Exception {
    return LinklyFixture.HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** A GET with a Host header of our choosing (the JDK client sets its own). */
  private static String rawGet(String path, String host) throws Exception {
    URI url = URI.create(base);
    try (Socket socket = new Socket(url.getHost(), url.getPort())) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(
          ("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String bodyOf(String response) {
    assertThat(response).contains("content-length:"); // a whole body, not chunks, for what follows
    return response.substring(response.indexOf("\r\n\r\n") + 4);
  }

  /**
   * Parses the SVG as XML (failing on anything malformed), checks its shape and draws its path,
   * {@code scale} pixels a module, light everywhere the path does not cover.
   */
  private static BufferedImage rasterise(String svg) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document doc = factory.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    Element root = doc.getDocumentElement();
    assertThat(root.getLocalName()).isEqualTo("svg");
    assertThat(root.getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
    assertThat(root.getAttribute("shape-rendering")).isEqualTo("crispEdges");
    String[] viewBox = root.getAttribute("viewBox").split(" ");
    assertThat(viewBox).hasSize(4);
    assertThat(viewBox[0]).isEqualTo("0");
    assertThat(viewBox[1]).isEqualTo("0");
    assertThat(viewBox[2]).isEqualTo(viewBox[3]);
    int modules = Integer.parseInt(viewBox[2]);
    NodeList paths = root.getElementsByTagNameNS("http://www.w3.org/2000/svg", "path");
    assertThat(paths.getLength()).isEqualTo(1);
    String d = ((Element) paths.item(0)).getAttribute("d");

    int scale = 4;
    BufferedImage image = new BufferedImage(modules * scale, modules * scale, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        image.setRGB(x, y, 0xffffff);
      }
    }
    Matcher run = RUN.matcher(d);
    int at = 0;
    while (run.find()) {
      assertThat(run.start()).as("the path is runs of modules only").isEqualTo(at);
      at = run.end();
      int x0 = Integer.parseInt(run.group(1));
      int y0 = Integer.parseInt(run.group(2));
      int width = Integer.parseInt(run.group(3));
      assertThat(run.group(4)).isEqualTo(run.group(3));
      assertThat(x0 + width).isLessThanOrEqualTo(modules);
      assertThat(y0).isLessThan(modules);
      for (int y = y0 * scale; y < (y0 + 1) * scale; y++) {
        for (int x = x0 * scale; x < (x0 + width) * scale; x++) {
          image.setRGB(x, y, 0);
        }
      }
    }
    assertThat(at).as("the path is runs of modules only").isEqualTo(d.length()).isPositive();
    return image;
  }

  /**
   * What ZXing reads in the image. A small image (64 pixels: one pixel a module) is enlarged first,
   * each pixel to a square of pixels, which the decoder's locator needs and which changes nothing
   * of what the image shows.
   */
  private static String decode(BufferedImage image) throws Exception {
    int scale = Math.max(1, 256 / image.getWidth());
    int width = image.getWidth() * scale;
    int height = image.getHeight() * scale;
    int[] pixels = new int[width * height];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        pixels[y * width + x] = image.getRGB(x / scale, y / scale);
      }
    }
    BinaryBitmap bitmap = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(width, height, pixels)));
    return new MultiFormatReader().decode(bitmap, Map.of(DecodeHintType.TRY_HARDER, Boolean.TRUE)).getText();
  }
}
