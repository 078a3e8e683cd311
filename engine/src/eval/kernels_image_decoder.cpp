// ImageDecoder (opset 20): encoded image bytes to an [H, W, C] uint8 tensor. PNG and JPEG go
// through libpng and libjpeg (Debian's, which Qt already pulls in); BMP, PNM and uncompressed
// TIFF are simple enough to read here; WebP goes through libwebp and JPEG 2000 through OpenJPEG
// (the decoders the ONNX reference's imaging libraries use, so pixels agree bit for bit).
#include <algorithm>
#include <cctype>
#include <memory>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <jpeglib.h>
#include <openjpeg.h>
#include <png.h>
#include <webp/decode.h>

#include "eval/kernel.h"

namespace graft::eval {

namespace {

struct Image {
  std::int64_t width = 0, height = 0;
  std::vector<std::uint8_t> rgb;  // height * width * 3
};

using Bytes = std::basic_string_view<std::uint8_t>;

Result<Image> decodePng(Bytes in) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, in.data(), in.size()))
    return Status(ErrorCode::Corrupt, std::string("not a readable PNG: ") + img.message);
  img.format = PNG_FORMAT_RGB;
  Image out;
  out.width = img.width;
  out.height = img.height;
  out.rgb.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.rgb.data(), 0, nullptr)) {
    std::string why = img.message;
    png_image_free(&img);
    return Status(ErrorCode::Corrupt, "PNG data is damaged: " + why);
  }
  return out;
}

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpegFail(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

Result<Image> decodeJpeg(Bytes in) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpegFail;
  Image out;
  // libjpeg reports errors by longjmp: nothing with a destructor may be created after setjmp.
  std::vector<std::uint8_t>* pixels = &out.rgb;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return Status(ErrorCode::Corrupt, std::string("not a readable JPEG: ") + err.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, in.data(), static_cast<unsigned long>(in.size()));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  out.width = cinfo.output_width;
  out.height = cinfo.output_height;
  pixels->resize(static_cast<std::size_t>(out.width * out.height * 3));
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels->data() + static_cast<std::size_t>(cinfo.output_scanline) * static_cast<std::size_t>(out.width) * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return out;
}

std::uint32_t le(Bytes b, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = n; i-- > 0;) v = v << 8 | b[at + static_cast<std::size_t>(i)];
  return v;
}

// Uncompressed BMP, 24 or 32 bits per pixel, bottom-up or top-down rows.
Result<Image> decodeBmp(Bytes in) {
  if (in.size() < 54) return Status(ErrorCode::Corrupt, "BMP header is truncated");
  std::uint32_t offset = le(in, 10, 4), compression = le(in, 30, 4);
  auto w = static_cast<std::int32_t>(le(in, 18, 4)), h = static_cast<std::int32_t>(le(in, 22, 4));
  int bpp = static_cast<int>(le(in, 28, 2));
  if ((bpp != 24 && bpp != 32) || (compression != 0 && compression != 3) || w <= 0 || h == 0)
    return Status(ErrorCode::Unsupported, "only uncompressed 24- and 32-bit BMP images are supported");
  bool topDown = h < 0;
  std::int64_t H = topDown ? -static_cast<std::int64_t>(h) : h, W = w;
  std::size_t stride = ((static_cast<std::size_t>(W) * static_cast<std::size_t>(bpp) / 8) + 3) / 4 * 4;
  if (offset + stride * static_cast<std::size_t>(H) > in.size()) return Status(ErrorCode::Corrupt, "BMP pixel data is truncated");
  Image out{W, H, std::vector<std::uint8_t>(static_cast<std::size_t>(W * H * 3))};
  for (std::int64_t y = 0; y < H; ++y) {
    const std::uint8_t* row = in.data() + offset + stride * static_cast<std::size_t>(topDown ? y : H - 1 - y);
    for (std::int64_t x = 0; x < W; ++x) {
      const std::uint8_t* p = row + x * bpp / 8;
      std::uint8_t* o = out.rgb.data() + (y * W + x) * 3;
      o[0] = p[2], o[1] = p[1], o[2] = p[0];
    }
  }
  return out;
}

// Binary PNM: P6 (RGB) and P5 (gray), 8-bit.
Result<Image> decodePnm(Bytes in) {
  std::size_t at = 2;
  auto number = [&]() -> std::int64_t {
    while (at < in.size()) {
      if (in[at] == '#')
        while (at < in.size() && in[at] != '\n') ++at;
      else if (std::isspace(in[at]))
        ++at;
      else
        break;
    }
    std::int64_t v = 0;
    bool any = false;
    while (at < in.size() && std::isdigit(in[at])) {
      v = v * 10 + (in[at++] - '0');
      any = true;
      if (v > (1 << 24)) return -1;
    }
    return any ? v : -1;
  };
  bool color = in[1] == '6';
  std::int64_t W = number(), H = number(), maxv = number();
  if (W <= 0 || H <= 0 || maxv != 255) return Status(ErrorCode::Unsupported, "only 8-bit binary PNM (P5, P6) images are supported");
  ++at;  // the single whitespace after the header
  std::size_t need = static_cast<std::size_t>(W * H * (color ? 3 : 1));
  if (at + need > in.size()) return Status(ErrorCode::Corrupt, "PNM pixel data is truncated");
  Image out{W, H, std::vector<std::uint8_t>(static_cast<std::size_t>(W * H * 3))};
  for (std::int64_t i = 0; i < W * H; ++i)
    for (int c = 0; c < 3; ++c) out.rgb[static_cast<std::size_t>(i * 3 + c)] = in[at + static_cast<std::size_t>(color ? i * 3 + c : i)];
  return out;
}

// Baseline TIFF without compression: 8-bit RGB (chunky) or gray, in strips.
Result<Image> decodeTiff(Bytes in) {
  bool little = in[0] == 'I';
  auto rd = [&](std::size_t at, int n) -> std::uint32_t {
    if (at + static_cast<std::size_t>(n) > in.size()) return 0;
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      std::uint32_t b = in[at + static_cast<std::size_t>(little ? n - 1 - i : i)];
      v = v << 8 | b;
    }
    return v;
  };
  std::uint32_t ifd = rd(4, 4);
  if (ifd + 2 > in.size()) return Status(ErrorCode::Corrupt, "TIFF directory is out of the file");
  std::uint32_t entries = rd(ifd, 2);
  std::int64_t W = 0, H = 0, spp = 1, bits = 8, compression = 1, rowsPerStrip = 0;
  std::vector<std::uint32_t> offsets, counts;
  auto values = [&](std::size_t e, std::vector<std::uint32_t>& out) {
    std::uint32_t type = rd(e + 2, 2), count = rd(e + 4, 4);
    int size = type == 3 ? 2 : 4;
    std::size_t at = count * static_cast<std::uint32_t>(size) <= 4 ? e + 8 : rd(e + 8, 4);
    for (std::uint32_t i = 0; i < count && i < (1u << 20); ++i) out.push_back(rd(at + i * static_cast<std::uint32_t>(size), size));
  };
  for (std::uint32_t k = 0; k < entries; ++k) {
    std::size_t e = ifd + 2 + k * 12;
    std::uint32_t tag = rd(e, 2);
    std::vector<std::uint32_t> v;
    values(e, v);
    if (v.empty()) continue;
    switch (tag) {
      case 256: W = v[0]; break;
      case 257: H = v[0]; break;
      case 258: bits = v[0]; break;
      case 259: compression = v[0]; break;
      case 273: offsets = v; break;
      case 277: spp = v[0]; break;
      case 278: rowsPerStrip = v[0]; break;
      case 279: counts = v; break;
      default: break;
    }
  }
  if (compression != 1 || bits != 8 || (spp != 1 && spp != 3 && spp != 4) || W <= 0 || H <= 0 || offsets.empty())
    return Status(ErrorCode::Unsupported, "only uncompressed 8-bit gray, RGB or RGBA TIFF images are supported");
  std::vector<std::uint8_t> raw;
  for (std::size_t s = 0; s < offsets.size(); ++s) {
    std::size_t n = s < counts.size() ? counts[s] : static_cast<std::size_t>(W * H * spp);
    if (offsets[s] + n > in.size()) return Status(ErrorCode::Corrupt, "TIFF strip is out of the file");
    raw.insert(raw.end(), in.data() + offsets[s], in.data() + offsets[s] + n);
  }
  (void)rowsPerStrip;
  if (raw.size() < static_cast<std::size_t>(W * H * spp)) return Status(ErrorCode::Corrupt, "TIFF pixel data is truncated");
  Image out{W, H, std::vector<std::uint8_t>(static_cast<std::size_t>(W * H * 3))};
  for (std::int64_t i = 0; i < W * H; ++i)
    for (int c = 0; c < 3; ++c)
      out.rgb[static_cast<std::size_t>(i * 3 + c)] = raw[static_cast<std::size_t>(i * spp + (spp == 1 ? 0 : c))];
  return out;
}

Result<Image> decodeWebp(Bytes in) {
  int w = 0, h = 0;
  if (!WebPGetInfo(in.data(), in.size(), &w, &h)) return Status(ErrorCode::Corrupt, "not a readable WebP image");
  Image out{w, h, std::vector<std::uint8_t>(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3)};
  if (!WebPDecodeRGBInto(in.data(), in.size(), out.rgb.data(), out.rgb.size(), w * 3))
    return Status(ErrorCode::Corrupt, "WebP data is damaged");
  return out;
}

// OpenJPEG reads from a stream; this one serves the tensor's bytes.
struct Jp2Source {
  Bytes data;
  std::size_t at = 0;
};

OPJ_SIZE_T jp2Read(void* buf, OPJ_SIZE_T n, void* user) {
  auto* s = static_cast<Jp2Source*>(user);
  if (s->at >= s->data.size()) return static_cast<OPJ_SIZE_T>(-1);
  n = std::min<OPJ_SIZE_T>(n, s->data.size() - s->at);
  std::memcpy(buf, s->data.data() + s->at, n);
  s->at += n;
  return n;
}
OPJ_OFF_T jp2Skip(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<Jp2Source*>(user);
  auto to = std::clamp<OPJ_OFF_T>(static_cast<OPJ_OFF_T>(s->at) + n, 0, static_cast<OPJ_OFF_T>(s->data.size()));
  OPJ_OFF_T moved = to - static_cast<OPJ_OFF_T>(s->at);
  s->at = static_cast<std::size_t>(to);
  return moved;
}
OPJ_BOOL jp2Seek(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<Jp2Source*>(user);
  if (n < 0 || static_cast<std::size_t>(n) > s->data.size()) return OPJ_FALSE;
  s->at = static_cast<std::size_t>(n);
  return OPJ_TRUE;
}

Result<Image> decodeJpeg2000(Bytes in, bool codestream) {
  std::unique_ptr<opj_codec_t, void (*)(opj_codec_t*)> codec(opj_create_decompress(codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2),
                                                             opj_destroy_codec);
  opj_set_info_handler(codec.get(), nullptr, nullptr);
  opj_set_warning_handler(codec.get(), nullptr, nullptr);
  opj_set_error_handler(codec.get(), nullptr, nullptr);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (!opj_setup_decoder(codec.get(), &params)) return Status(ErrorCode::Internal, "JPEG 2000 decoder could not be set up");
  Jp2Source src{in};
  std::unique_ptr<opj_stream_t, void (*)(opj_stream_t*)> stream(opj_stream_create(1 << 16, OPJ_TRUE), opj_stream_destroy);
  opj_stream_set_user_data(stream.get(), &src, nullptr);
  opj_stream_set_user_data_length(stream.get(), in.size());
  opj_stream_set_read_function(stream.get(), jp2Read);
  opj_stream_set_skip_function(stream.get(), jp2Skip);
  opj_stream_set_seek_function(stream.get(), jp2Seek);
  opj_image_t* raw = nullptr;
  if (!opj_read_header(stream.get(), codec.get(), &raw)) return Status(ErrorCode::Corrupt, "JPEG 2000 header is not readable");
  std::unique_ptr<opj_image_t, void (*)(opj_image_t*)> image(raw, opj_image_destroy);
  if (!opj_decode(codec.get(), stream.get(), image.get()) || !opj_end_decompress(codec.get(), stream.get()))
    return Status(ErrorCode::Corrupt, "JPEG 2000 data is damaged");
  if (image->numcomps < 1) return Status(ErrorCode::Corrupt, "JPEG 2000 image has no components");
  const opj_image_comp_t& c0 = image->comps[0];
  std::int64_t W = c0.w, H = c0.h;
  bool color = image->numcomps >= 3;
  for (OPJ_UINT32 c = 0; c < (color ? 3u : 1u); ++c) {
    const opj_image_comp_t& ci = image->comps[c];
    if (ci.w != c0.w || ci.h != c0.h || ci.prec > 16 || !ci.data)
      return Status(ErrorCode::Unsupported, "only JPEG 2000 images whose colour components share one size are supported");
  }
  Image out{W, H, std::vector<std::uint8_t>(static_cast<std::size_t>(W * H * 3))};
  for (std::int64_t i = 0; i < W * H; ++i)
    for (int c = 0; c < 3; ++c) {
      const opj_image_comp_t& ci = image->comps[color ? c : 0];
      std::int64_t v = ci.data[i] + (ci.sgnd ? (1ll << (ci.prec - 1)) : 0);
      if (ci.prec > 8) v >>= (ci.prec - 8);
      else if (ci.prec < 8) v <<= (8 - ci.prec);
      out.rgb[static_cast<std::size_t>(i * 3 + c)] = static_cast<std::uint8_t>(std::clamp<std::int64_t>(v, 0, 255));
    }
  return out;
}

Result<Image> decode(Bytes in) {
  auto starts = [&](const char* magic, std::size_t at = 0) {
    std::size_t n = std::strlen(magic);
    return in.size() >= at + n && std::memcmp(in.data() + at, magic, n) == 0;
  };
  if (starts("\x89PNG")) return decodePng(in);
  if (starts("\xff\xd8\xff")) return decodeJpeg(in);
  if (starts("BM")) return decodeBmp(in);
  if (in.size() > 2 && in[0] == 'P' && (in[1] == '5' || in[1] == '6')) return decodePnm(in);
  if (starts("II*") || starts("MM\x00*")) return decodeTiff(in);
  if (starts("RIFF") && starts("WEBP", 8)) return decodeWebp(in);
  if (in.size() >= 12 && std::memcmp(in.data(), "\x00\x00\x00\x0cjP", 6) == 0) return decodeJpeg2000(in, false);
  if (starts("\xff\x4f\xff\x51")) return decodeJpeg2000(in, true);
  return Status(ErrorCode::Unsupported, "unknown image format (PNG, JPEG, JPEG 2000, WebP, BMP, PNM and uncompressed TIFF are supported)");
}

Status imageDecoderK(Context& ctx) {
  const Array& x = ctx.input(0);
  if (x.dtype() != kUInt8 || x.rank() != 1) return ctx.fail("encoded_stream must be 1-D uint8, not " + formatArrayType(x));
  std::string format = ctx.attrString("pixel_format", "RGB");
  if (format != "RGB" && format != "BGR" && format != "Grayscale")
    return ctx.fail("pixel_format must be RGB, BGR or Grayscale, not '" + format + "'");
  auto img = decode(Bytes(x.data<std::uint8_t>(), static_cast<std::size_t>(x.size())));
  if (!img) return Status(img.status().code(), img.message());
  const Image& im = img.value();
  std::int64_t C = format == "Grayscale" ? 1 : 3;
  Array out = Array::uninitialized(kUInt8, {im.height, im.width, C});
  std::uint8_t* o = out.data<std::uint8_t>();
  for (std::int64_t i = 0; i < im.width * im.height; ++i) {
    const std::uint8_t* p = im.rgb.data() + i * 3;
    if (format == "RGB") {
      std::memcpy(o + i * 3, p, 3);
    } else if (format == "BGR") {
      o[i * 3] = p[2], o[i * 3 + 1] = p[1], o[i * 3 + 2] = p[0];
    } else {
      // ITU-R 601 luma with 16-bit fixed point and rounding, as the common imaging libraries do.
      o[i] = static_cast<std::uint8_t>((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16);
    }
  }
  ctx.setOutput(0, out);
  return Status::ok();
}

}  // namespace

void registerImageDecoderKernels() { registerKernel("", "ImageDecoder", imageDecoderK, true); }

}  // namespace graft::eval
